import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderIn } from '../../test/render';
import text from '../../../../api/openapi.yaml?raw';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

// page is the reference as a fresh visit loads it: the document is kept once read.
async function page() {
  vi.resetModules();
  return (await import('./ApiDocs')).default;
}

function serve(status = 200) {
  const fetch = vi.fn(async () => new Response(status === 200 ? text : 'no', { status, headers: { 'Content-Type': 'application/yaml' } }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

// The document makes a large page: it is looked up by id, and roles are asked of small parts.
const byId = (id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no #${id}`);
  return el;
};

describe('the API reference', () => {
  it('renders the served document by tag, with roles, codes and schemas', { timeout: 30_000 }, async () => {
    const fetch = serve();
    const ApiDocs = await page();
    renderIn('en', <ApiDocs />);
    await screen.findByText('Bank API', { selector: 'h2' }, { timeout: 10_000 });
    expect(fetch).toHaveBeenCalledWith('/openapi.yaml', expect.anything());
    expect(document.querySelector('h1')!.textContent).toBe('API reference');
    const nav = document.querySelector('nav')!;
    expect(nav.getAttribute('aria-label')).toBe('Contents');
    expect(within(nav).getByText('transfers').getAttribute('href')).toBe('#tag-transfers');

    const create = byId('op-createTransfer').closest('article')!;
    expect(byId('op-createTransfer').textContent).toBe('POST /v1/transfers');
    expect(within(create).getByText(/^Who may call it/).textContent).toMatch(/client.*support.*admin/);
    // Its details are made when opened.
    expect(within(create).queryByText('Idempotency-Key', { selector: 'td code' })).toBeNull();
    fireEvent.click(within(create).getByText('Description, parameters and responses'));
    await within(create).findByText('Idempotency-Key', { selector: 'td code' });
    expect(within(create).getByText('Idempotency-Key', { selector: 'td code' })).toBeTruthy();
    expect(within(create).getByText('Request body', { exact: false, selector: 'h4' })).toBeTruthy();
    expect(within(create).getByText('202', { selector: '.docs-status' })).toBeTruthy();

    expect(byId('code-insufficient_funds').textContent).toContain('insufficient_funds');
    expect(byId('code-not_found').textContent).toContain('404');
    expect(byId('schema-TransferRequest').textContent).toMatch(/^TransferRequest/);
  });
  it('says so when the document cannot be read, in the reader\'s language', async () => {
    serve(500);
    const ApiDocs = await page();
    renderIn('es', <ApiDocs />);
    expect((await screen.findByRole('alert')).textContent).toBe('No se pudo cargar el documento de la API.');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Referencia de la API');
  });
});
