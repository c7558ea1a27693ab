import { useCallback, useRef, useState } from 'react';
import { ApiError } from '../../api/problem';

// A request that moves money carries an Idempotency-Key: the API answers a retry with the same key
// and body with the first answer, so a lost answer never moves the money twice.

export interface Attempt {
  key: string;
  // The request as sent, to tell a retry from a changed request.
  request: string;
  // Whether the API refused it outright, so nothing was recorded under the key.
  refused: boolean;
}

// keyFor is the key of the next attempt of a request. A dialog starts with one key; sending the
// same request again keeps it (a retry). A changed request keeps it too unless the API refused the
// last one outright: while an earlier attempt's outcome is unknown (no answer, a 5xx, a request in
// progress) the same key makes the API refuse the changed request rather than move money twice.
export function keyFor(last: Attempt | undefined, first: string, request: string, fresh: () => string): string {
  if (!last) return first;
  if (last.request === request || !last.refused) return last.key;
  return fresh();
}

// refusedOutright says whether an error is the API's refusal of a request it recorded nothing for:
// a 4xx other than "the first request with this key is still running".
export function refusedOutright(err: unknown): boolean {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== 'idempotency_request_in_progress';
}

// useIdempotencyKey gives the key for each attempt of one dialog opening; call record with the
// attempt's outcome.
export function useIdempotencyKey() {
  const [first] = useState(() => crypto.randomUUID());
  const last = useRef<Attempt | undefined>(undefined);
  const next = useCallback((request: string) => keyFor(last.current, first, request, () => crypto.randomUUID()), [first]);
  const record = useCallback((key: string, request: string, err: unknown) => {
    last.current = { key, request, refused: err !== undefined && refusedOutright(err) };
  }, []);
  return { next, record };
}
