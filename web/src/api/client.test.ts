import { afterEach, describe, expect, it, vi } from 'vitest';
import { bare } from './client';

afterEach(() => vi.unstubAllGlobals());

// answer stubs fetch with one JSON answer, with or without Content-Length.
function answer(body: string, withLength: boolean) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(body, { status: 200, headers: withLength ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : { 'Content-Type': 'application/json' } })),
  );
}

describe('the API client', () => {
  it.each([true, false])('reads int64 amounts as bigints (Content-Length sent: %s)', async (withLength) => {
    answer('{"id":"a","number":"482130675945","currency":"USD","status":"active","balance":1234,"available_balance":12,"created_at":"2026-01-01T00:00:00Z","freeze_reason":null,"frozen_until":null}', withLength);
    const { data } = await bare.GET('/v1/accounts/{id}', { params: { path: { id: 'a' } } });
    expect(typeof data?.available_balance).toBe('bigint');
    expect(data?.available_balance).toBe(12n);
  });
  it('answers a problem document as the error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"type":"x","title":"Not found","status":404,"code":"not_found"}', { status: 404, headers: { 'Content-Type': 'application/problem+json' } })));
    const { data, error, response } = await bare.GET('/v1/accounts/{id}', { params: { path: { id: 'a' } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toMatchObject({ code: 'not_found' });
  });
});
