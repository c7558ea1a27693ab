import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRouter, Route, Routes } from 'react-router';
import { LocaleProvider } from '../../i18n/locale';
import type { User } from '../../auth/SessionProvider';

// The console as each role sees it, against a fake API: support gets the pages without the admin's
// controls; an admin's cash movement keeps its Idempotency-Key across a retry.

const session = vi.hoisted(() => ({ me: undefined as unknown as User }));

vi.mock('../../auth/SessionProvider', () => ({
  useMe: () => session.me,
  useSession: () => ({ state: 'signed-in', me: session.me, signOut: async () => {} }),
  isStaff: (role: string) => role === 'admin' || role === 'support',
}));
vi.mock('../../api/session', () => ({
  session: { accessToken: async () => 'token', refresh: async () => false, signedOut: () => {}, state: 'signed-in', subscribe: () => () => {} },
}));

const { default: StaffRoutes } = await import('./StaffRoutes');

const staffUser = (role: User['role']): User => ({
  id: `${role}-0000-0000-0000-000000000000`,
  email: `${role}@bank.example`,
  full_name: role,
  phone: null,
  role,
  status: 'active',
  locale: 'en',
  created_at: '2026-01-01T00:00:00Z',
});

const customer = {
  id: '11111111-1111-4111-8111-111111111111',
  email: 'ana@example.com',
  full_name: 'Ana Pérez',
  phone: null,
  role: 'client',
  status: 'active',
  locale: 'es',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  failed_logins: 5,
  locked_until: '2999-01-01T00:00:00Z',
  live_sessions: 1,
  accounts: [] as unknown[],
};

const account = {
  id: '22222222-2222-4222-8222-222222222222',
  number: '482130675945',
  currency: 'EUR',
  status: 'active',
  balance: 150000,
  available_balance: 150000,
  created_at: '2026-01-01T00:00:00Z',
  freeze_reason: null,
  frozen_until: null,
  kind: 'customer',
  user_id: customer.id,
  on_hold: 0,
  updated_at: '2026-01-01T00:00:00Z',
  owner: { id: customer.id, email: customer.email, full_name: customer.full_name, status: 'active' },
  holds: [],
  freeze: null,
};

interface Sent {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

let sent: Sent[] = [];
let answers: ((req: Sent) => Response | undefined)[] = [];

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function route(req: Sent): Response {
  for (const a of answers) {
    const r = a(req);
    if (r) return r;
  }
  const path = req.path;
  if (path === `/v1/admin/users/${customer.id}`) return json(200, customer);
  if (path === `/v1/admin/accounts/${account.id}`) return json(200, account);
  if (path.startsWith('/v1/admin/transfers')) return json(200, { items: [], next_cursor: null });
  if (path.startsWith('/v1/admin/audit-events')) return json(200, { items: [], next_cursor: null });
  if (path.startsWith(`/v1/admin/accounts/${account.id}/freezes`)) return json(200, { items: [], next_cursor: null });
  if (path.startsWith('/v1/admin/users')) return json(200, { items: [], next_cursor: null });
  return json(404, { type: 'about:blank', title: 'Not found', status: 404, code: 'not_found' });
}

beforeEach(() => {
  sent = [];
  answers = [];
  vi.stubGlobal('fetch', async (input: Request) => {
    const url = new URL(input.url, 'http://localhost');
    const req = { method: input.method, path: url.pathname + url.search, headers: input.headers, body: input.body ? await input.text() : '' };
    sent.push(req);
    return route(req);
  });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function show(path: string, role: User['role']) {
  session.me = staffUser(role);
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queries}>
      <LocaleProvider locale="en">
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/staff/*" element={<StaffRoutes />} />
          </Routes>
        </MemoryRouter>
      </LocaleProvider>
    </QueryClientProvider>,
  );
}

const button = (name: string) => screen.queryByRole('button', { name });

describe('a user, as each role sees it', () => {
  it('offers support only what its x-roles allow: unlocking and the welcome email', async () => {
    show(`/staff/users/${customer.id}`, 'support');
    await screen.findByRole('heading', { level: 1, name: 'Ana Pérez' });
    expect(button('Unlock login')).not.toBeNull();
    expect(button('Resend welcome email')).not.toBeNull();
    expect(button('Change role')).toBeNull();
    expect(button('Disable')).toBeNull();
  });
  it('offers an admin every action', async () => {
    show(`/staff/users/${customer.id}`, 'admin');
    await screen.findByRole('heading', { level: 1, name: 'Ana Pérez' });
    for (const name of ['Unlock login', 'Resend welcome email', 'Change role', 'Disable']) expect(button(name), name).not.toBeNull();
  });
});

describe('an account, as each role sees it', () => {
  it('shows support no action at all', async () => {
    show(`/staff/accounts/${account.id}`, 'support');
    await screen.findByRole('heading', { level: 1, name: 'Account 482 130 675 945' });
    for (const name of ['Freeze', 'Unfreeze', 'Deposit cash', 'Withdraw cash']) expect(button(name), name).toBeNull();
  });
  it('shows an admin freeze and cash movements', async () => {
    show(`/staff/accounts/${account.id}`, 'admin');
    await screen.findByRole('heading', { level: 1, name: 'Account 482 130 675 945' });
    for (const name of ['Freeze', 'Deposit cash', 'Withdraw cash']) expect(button(name), name).not.toBeNull();
    expect(button('Unfreeze')).toBeNull();
  });
});

describe('a deposit', () => {
  it('sends the amount as a decimal string and keeps its key across a retry, then shows the approval it waits for', async () => {
    let attempts = 0;
    answers.push((req) => {
      if (req.method !== 'POST' || !req.path.endsWith('/deposits')) return undefined;
      attempts++;
      if (attempts === 1) return json(503, { type: 'about:blank', title: 'Service unavailable', status: 503, code: 'service_unavailable' });
      const at = '2026-03-08T10:00:00Z';
      return json(202, { id: '33333333-3333-4333-8333-333333333333', kind: 'cash_approval', status: 'running', result: null, error: null, created_at: at, updated_at: at });
    });
    show(`/staff/accounts/${account.id}`, 'admin');
    fireEvent.click(await screen.findByRole('button', { name: 'Deposit cash' }));
    fireEvent.change(await screen.findByLabelText('Amount (EUR)'), { target: { value: '12,345.6' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Deposit' })));
    await screen.findByText('Service unavailable');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Deposit' })));
    await screen.findByText(/needs a second admin’s approval/);
    const posts = sent.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(JSON.parse(posts[0]!.body)).toEqual({ amount: '12345.60', currency: 'EUR' });
    const key = posts[0]!.headers.get('Idempotency-Key');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.headers.get('Idempotency-Key')).toBe(key);
  });
  it('refuses an amount with more decimals than the currency has, sending nothing', async () => {
    show(`/staff/accounts/${account.id}`, 'admin');
    fireEvent.click(await screen.findByRole('button', { name: 'Deposit cash' }));
    fireEvent.change(await screen.findByLabelText('Amount (EUR)'), { target: { value: '1.234' } });
    fireEvent.click(screen.getByRole('button', { name: 'Deposit' }));
    await screen.findByText('This currency does not have that many decimals.');
    expect(sent.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});

describe('the other pages', () => {
  it('tells support that cash approvals are for admins, without asking the API', async () => {
    show('/staff/approvals', 'support');
    await screen.findByText(/Only admins can see and decide them/);
    expect(sent.some((r) => r.path.startsWith('/v1/admin/cash-approvals'))).toBe(false);
  });
  it('offers only admins to invite staff', async () => {
    show('/staff/users', 'support');
    await screen.findByText('No user matches this search.');
    expect(button('New staff member')).toBeNull();
    cleanup();
    show('/staff/users', 'admin');
    await screen.findByText('No user matches this search.');
    expect(button('New staff member')).not.toBeNull();
  });
  it('sends the user search with only the filters set', async () => {
    show('/staff/users?q=ana&role=client&status=', 'support');
    await screen.findByText('No user matches this search.');
    await waitFor(() => expect(sent.some((r) => r.path.startsWith('/v1/admin/users?'))).toBe(true));
    const req = sent.find((r) => r.path.startsWith('/v1/admin/users?'))!;
    expect(new URLSearchParams(req.path.split('?')[1]).toString()).toBe('q=ana&role=client');
  });
  it('answers an unknown staff path with the not-found page', async () => {
    show('/staff/nowhere', 'admin');
    await screen.findByRole('heading', { level: 1, name: 'Not found' });
  });
});
