import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/problem';
import { keyFor, refusedOutright } from './idempotency';

const fresh = () => 'new';

describe('keyFor', () => {
  it('starts with the key of the dialog opening', () => {
    expect(keyFor(undefined, 'first', 'a', fresh)).toBe('first');
  });
  it('keeps the key for a retry of the same request', () => {
    expect(keyFor({ key: 'k', request: 'a', refused: false }, 'first', 'a', fresh)).toBe('k');
    expect(keyFor({ key: 'k', request: 'a', refused: true }, 'first', 'a', fresh)).toBe('k');
  });
  it('keeps the key for a changed request while the last outcome is unknown', () => {
    expect(keyFor({ key: 'k', request: 'a', refused: false }, 'first', 'b', fresh)).toBe('k');
  });
  it('takes a new key for a changed request after a refusal', () => {
    expect(keyFor({ key: 'k', request: 'a', refused: true }, 'first', 'b', fresh)).toBe('new');
  });
});

describe('refusedOutright', () => {
  const problem = (status: number, code: string) => new ApiError(status, { type: 'about:blank', title: code, status, code: code as never });
  it.each([
    [problem(422, 'validation_failed'), true],
    [problem(422, 'daily_limit_exceeded'), true],
    [problem(409, 'account_frozen'), true],
    [problem(403, 'forbidden'), true],
    [problem(409, 'idempotency_request_in_progress'), false],
    [problem(503, 'service_unavailable'), false],
    [problem(500, 'internal_error'), false],
    [new TypeError('Failed to fetch'), false],
    [undefined, false],
  ])('%s → %s', (err, refused) => {
    expect(refusedOutright(err)).toBe(refused);
  });
});
