import { describe, expect, it } from 'vitest';
import { accountActions } from './AccountActions';
import { can } from './can';
import type { Freeze, StaffAccountDetail } from './types';

const me = 'aaaaaaaa-0000-4000-8000-000000000001';
const owner = '11111111-1111-4111-8111-111111111111';

const account = (over: Partial<StaffAccountDetail> = {}): StaffAccountDetail => ({
  id: '22222222-2222-4222-8222-222222222222',
  number: '482130675945',
  currency: 'EUR',
  status: 'active',
  balance: 100n,
  available_balance: 100n,
  created_at: '2026-01-01T00:00:00Z',
  freeze_reason: null,
  frozen_until: null,
  kind: 'customer',
  user_id: owner,
  on_hold: 0n,
  updated_at: '2026-01-01T00:00:00Z',
  owner: { id: owner, email: 'ana@example.com', full_name: 'Ana', status: 'active' },
  holds: [],
  freeze: null,
  ...over,
});

const freeze = (over: Partial<Freeze>): Freeze => ({
  id: '55555555-5555-4555-8555-555555555555',
  account_id: '22222222-2222-4222-8222-222222222222',
  status: 'active',
  reason: 'suspected_fraud',
  note: '',
  scope: 'full',
  frozen_by: me,
  since: '2026-03-01T00:00:00Z',
  until: null,
  balance_at_freeze: 100n,
  ended_at: null,
  ended_by: null,
  end_note: '',
  failure_code: null,
  workflow_id: 'freeze-1',
  created_at: '2026-03-01T00:00:00Z',
  ...over,
});

const admin = (a: Parameters<typeof can>[1]) => can('admin', a);
const support = (a: Parameters<typeof can>[1]) => can('support', a);

describe('accountActions', () => {
  it('gives an admin cash movements and a freeze on an active customer account', () => {
    expect(accountActions(account(), admin, me)).toEqual(['deposit', 'withdrawal', 'freeze']);
  });
  it('gives support nothing', () => {
    expect(accountActions(account(), support, me)).toEqual([]);
    expect(accountActions(account({ status: 'frozen', freeze: freeze({}) }), support, me)).toEqual([]);
  });
  it('offers nothing on the cash account, a closed account or the admin’s own', () => {
    expect(accountActions(account({ kind: 'cash', user_id: null, owner: null }), admin, me)).toEqual([]);
    expect(accountActions(account({ status: 'closed' }), admin, me)).toEqual([]);
    expect(accountActions(account({ user_id: me }), admin, me)).toEqual([]);
  });
  it('offers only unfreezing a full freeze in force', () => {
    expect(accountActions(account({ status: 'frozen', freeze: freeze({}) }), admin, me)).toEqual(['unfreeze']);
  });
  it('still takes deposits under a debit freeze', () => {
    expect(accountActions(account({ status: 'frozen', freeze: freeze({ scope: 'debit' }) }), admin, me)).toEqual(['deposit', 'unfreeze']);
  });
  it('offers neither freezing again nor unfreezing while a freeze is being applied', () => {
    expect(accountActions(account({ freeze: freeze({ status: 'pending', since: null }) }), admin, me)).toEqual([]);
  });
});
