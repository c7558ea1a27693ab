import { createIntl } from 'react-intl';
import { describe, expect, it } from 'vitest';
import { messages } from '../../i18n/messages';
import { notificationText, type Notification } from './notificationText';

const intl = (locale: 'en' | 'es') => createIntl({ locale, messages: messages[locale], timeZone: 'UTC' });
const base = { id: 'x', user_id: 'u', title: 'Money received', body: '25.50 USD arrived.', at: '2026-03-08T10:00:00Z', read_at: null } as const;

describe('notificationText', () => {
  it('writes a payment in the reader\'s language, the amount exact', () => {
    const n: Notification = { ...base, kind: 'transfer_received', details: { amount: 2550n, currency: 'USD', account: '482130675945', counterparty: '100000017' } };
    const es = notificationText(n, intl('es'));
    expect(es.title).toBe('Dinero recibido');
    expect(es.body).toMatch(/^25,50\sUS\$ llegaron a la cuenta 482 130 675 945 desde 100 000 017\.$/);
    expect(notificationText(n, intl('en')).body).toBe('$25.50 arrived in account 482 130 675 945 from 100 000 017.');
  });
  it('says why a transfer failed, in words', () => {
    const n: Notification = { ...base, kind: 'transfer_failed', details: { amount: 100n, currency: 'EUR', account: '482130675945', counterparty: '100000017', failure_code: 'insufficient_funds' } };
    expect(notificationText(n, intl('es')).body).toContain('no se realizó: Fondos insuficientes.');
  });
  it('tells a freeze\'s end and scope', () => {
    const until: Notification = { ...base, kind: 'account_frozen', details: { account: '482130675945', freeze_reason: 'legal_order', stops_credits: true, until: '2027-01-02T03:04:00Z' } };
    const body = notificationText(until, intl('en')).body;
    expect(body).toContain('is frozen until Jan 2, 2027');
    expect(body).toContain('Reason: a legal order.');
    expect(body).toContain('No money can leave or reach it.');
    const open: Notification = { ...base, kind: 'account_frozen', details: { account: '482130675945', freeze_reason: 'other' } };
    expect(notificationText(open, intl('es')).body).toContain('congelada hasta nuevo aviso');
  });
  it('keeps the API\'s words for a notification stored without details', () => {
    const n: Notification = { ...base, kind: 'transfer_received' };
    expect(notificationText(n, intl('es'))).toEqual({ title: 'Money received', body: '25.50 USD arrived.' });
  });
  it('has both languages for every kind', () => {
    const kinds = ['welcome', 'transfer_sent', 'transfer_received', 'transfer_failed', 'deposit', 'withdrawal', 'withdrawal_failed', 'account_frozen', 'account_unfrozen', 'password_changed', 'login_locked', 'new_device', 'staff_invitation'];
    for (const locale of ['en', 'es'] as const) {
      for (const k of kinds) {
        expect(messages[locale][`note.${k}.title`], `${locale} ${k}`).toBeTruthy();
        expect(messages[locale][`note.${k}.body`], `${locale} ${k}`).toBeTruthy();
      }
    }
  });
});
