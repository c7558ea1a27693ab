import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';

afterEach(cleanup);

describe('Markdown', () => {
  it('writes paragraphs, lists, code and strong text', () => {
    const { container } = render(<Markdown text={'**Money.** Amounts are\nintegers: `1234`.\n\n- one\n- `two`'} />);
    expect(container.querySelectorAll('p')).toHaveLength(1);
    expect(container.querySelector('p')!.textContent).toBe('Money. Amounts are integers: 1234.');
    expect(container.querySelector('strong')!.textContent).toBe('Money.');
    expect([...container.querySelectorAll('li')].map((l) => l.textContent)).toEqual(['one', 'two']);
    expect(container.querySelectorAll('code')).toHaveLength(2);
  });
  it('keeps markup in the text as text', () => {
    const { container } = render(<Markdown text={'<img src=x onerror=alert(1)> `<b>`'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror=alert(1)> <b>');
  });
});
