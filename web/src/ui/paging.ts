import { useCallback, useState } from 'react';

// useCursorPages keeps the cursors of the pages seen, so a cursor-paged list can go back.
export function useCursorPages() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const cursor = stack[stack.length - 1];
  const next = useCallback((c: string) => setStack((s) => [...s, c]), []);
  const prev = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([undefined]), []);
  return { cursor, hasPrev: stack.length > 1, next, prev, reset };
}
