import type { ReactNode } from 'react';

// Markdown renders the little Markdown the document's descriptions use: paragraphs, lists of
// "- " lines, `code` and **strong**. Everything is React text: nothing in the document becomes markup.
export function Markdown({ text, inline = false }: { text: string | undefined; inline?: boolean }) {
  if (!text) return null;
  const blocks = text.trim().split(/\n\s*\n/);
  if (inline && blocks.length === 1) return <>{spans(blocks[0]!.replace(/\s*\n\s*/g, ' '))}</>;
  return (
    <div className="md">
      {blocks.map((block, i) => {
        const lines = block.split('\n');
        if (lines.every((l) => /^\s*- /.test(l))) {
          return (
            <ul key={i}>
              {lines.map((l, j) => (
                <li key={j}>{spans(l.replace(/^\s*- /, ''))}</li>
              ))}
            </ul>
          );
        }
        return <p key={i}>{spans(block.replace(/\s*\n\s*/g, ' '))}</p>;
      })}
    </div>
  );
}

// spans splits text into its `code`, **strong** and plain runs.
export function spans(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] !== undefined ? <code key={m.index}>{m[1]}</code> : <strong key={m.index}>{spans(m[2]!)}</strong>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
