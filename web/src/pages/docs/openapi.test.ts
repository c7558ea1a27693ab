import { describe, expect, it } from 'vitest';
import { merged, operationsByTag, parseDocument, problemCodes, resolve, sample, types, type Response } from './openapi';
import text from '../../../../api/openapi.yaml?raw';

// The reference is tested on the API's own document.
const doc = parseDocument(text);

describe('the OpenAPI document as the reference reads it', () => {
  it('refuses what is not an OpenAPI document', () => {
    expect(() => parseDocument('just: text')).toThrow();
    expect(() => parseDocument('')).toThrow();
  });
  it('groups every operation under its tags, in the order the document declares them', () => {
    const groups = operationsByTag(doc);
    expect(groups.map((g) => g.tag)).toEqual(doc.tags!.map((t) => t.name));
    const transfers = groups.find((g) => g.tag === 'transfers')!;
    expect(transfers.operations.map((o) => `${o.method} ${o.path}`)).toContain('post /v1/transfers');
    const listed = new Set(groups.flatMap((g) => g.operations.map((o) => o.id)));
    const all = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => `op-${op.operationId}`));
    expect([...listed].sort()).toEqual([...new Set(all)].sort());
  });
  it('lists every problem code with the statuses that answer it', () => {
    const { codes, description } = problemCodes(doc);
    expect(description).toContain('insufficient_funds');
    expect(codes.map((c) => c.code)).toEqual(doc.components!.schemas!.Code!.enum);
    const statuses = Object.fromEntries(codes.map((c) => [c.code, c.statuses]));
    expect(statuses.not_found).toContain('404');
    expect(statuses.rate_limited).toEqual(['429']);
    expect(statuses.unknown_query_parameter).toEqual(['400']);
    expect(statuses.insufficient_funds).toEqual([]);
    const meaning = Object.fromEntries(codes.map((c) => [c.code, c.meaning]));
    expect(meaning.hold_expired).toBe('the reserved funds expired before the transfer posted');
    expect(meaning.unknown_query_parameter).toBe('a query parameter the route does not take; `errors` names it');
    expect(meaning.insufficient_funds).toBeUndefined();
  });
  it('follows references, those to shared responses included', () => {
    const limited = resolve<Response>(doc, { $ref: '#/components/responses/RateLimited' });
    expect(limited.description).toContain('rate_limited');
    expect(resolve(doc, { $ref: '#/components/schemas/nope' })).toEqual({ $ref: '#/components/schemas/nope' });
  });
  it('reads an allOf as one object', () => {
    const s = merged(doc, { $ref: '#/components/schemas/StaffAccount' });
    expect(Object.keys(s.properties!)).toEqual(expect.arrayContaining(['id', 'number', 'balance', 'kind', 'on_hold']));
    expect(s.required).toEqual(expect.arrayContaining(['id', 'kind']));
  });
  it('names a type list with null as written', () => {
    expect(types({ type: ['string', 'null'] })).toEqual(['string', 'null']);
    expect(types({ properties: {} })).toEqual(['object']);
  });
  it('makes examples from the schemas, the document\'s own examples first', () => {
    const transfer = sample(doc, doc.paths['/v1/transfers']!.post!.requestBody!.content!['application/json']!.schema!) as Record<string, unknown>;
    expect(transfer.amount).toBe(1234);
    const account = sample(doc, { $ref: '#/components/schemas/Account' }) as Record<string, unknown>;
    expect(account).toMatchObject({ number: '482130675945', currency: 'USD', status: 'active' });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sample(doc, { type: ['string', 'null'] })).toBe('string');
    expect(sample(doc, { type: 'null' })).toBeNull();
  });
});
