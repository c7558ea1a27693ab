import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { transferSteps } from '../pages/customer/TransferPage';
import { renderIn } from '../test/render';
import { AccountNumber, Money } from './format';
import { Field } from './kit';
import { Steps } from './Steps';

afterEach(cleanup);

describe('Money', () => {
  it('shows minor units in the chosen locale', () => {
    renderIn('es', <Money minor={12345678n} currency="EUR" />);
    expect(screen.getByText(/^123\.456,78\s€$/)).toBeTruthy();
    cleanup();
    renderIn('en', <Money minor={12345678n} currency="EUR" />);
    expect(screen.getByText('€123,456.78')).toBeTruthy();
  });
  it('marks money out and in', () => {
    renderIn('en', <Money minor={-500n} currency="USD" signed />);
    expect(screen.getByText('-$5.00').className).toContain('money-out');
  });
});

describe('AccountNumber', () => {
  it('groups digits by three', () => {
    renderIn('en', <AccountNumber value="482130675945" />);
    expect(screen.getByText('482 130 675 945')).toBeTruthy();
  });
});

describe('Field', () => {
  it('labels its input and ties its error to it', () => {
    renderIn('en', <Field label="Amount" error="must be greater than zero" value="" onChange={() => {}} />);
    const input = screen.getByLabelText('Amount');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const error = document.getElementById(input.getAttribute('aria-describedby')!.split(' ').pop()!);
    expect(error?.textContent).toBe('must be greater than zero');
  });
});

describe('Steps', () => {
  it('says each step\'s state in words, in the locale', () => {
    renderIn('es', <Steps steps={[{ key: 'a', label: 'Solicitud recibida', state: 'done' }, { key: 'b', label: 'Importe reservado', state: 'active' }]} />);
    const items = screen.getAllByRole('listitem');
    expect(items[0]?.textContent).toContain('(hecho)');
    expect(items[1]?.getAttribute('aria-current')).toBe('step');
    expect(items[1]?.textContent).toContain('(en curso)');
  });
});

describe('transferSteps', () => {
  const base = { id: 't', kind: 'transfer', from_account_id: null, from_account_number: '1', to_account_id: null, to_account_number: '2', amount: 1n, currency: 'USD', description: '', failure_code: null, failure_reason: null, created_at: '', completed_at: null } as const;
  it('shows the steps ahead of a pending transfer', () => {
    const steps = transferSteps({ ...base, status: 'pending', steps: [{ name: 'accept', status: 'ok', at: '' }] }, (n) => n);
    expect(steps.map((s) => [s.label, s.state])).toEqual([
      ['accept', 'done'],
      ['validate', 'active'],
      ['place_hold', 'todo'],
      ['post', 'todo'],
    ]);
  });
  it('ends a failed transfer at its failed step', () => {
    const steps = transferSteps(
      { ...base, status: 'failed', steps: [{ name: 'accept', status: 'ok', at: '' }, { name: 'validate', status: 'failed', at: '', detail: 'insufficient funds' }] },
      (n) => n,
    );
    expect(steps.map((s) => s.state)).toEqual(['done', 'failed']);
    expect(steps[1]?.detail).toBe('insufficient funds');
  });
});
