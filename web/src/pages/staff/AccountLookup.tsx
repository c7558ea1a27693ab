import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Alert, Button, ErrorMessage, Field } from '../../ui/kit';
import { to } from './parts';

// accountNumberInput reads an account number as people type it, grouped by spaces or dashes.
export const accountNumberInput = (value: string) => value.replace(/[\s\u00a0\u202f-]/g, '');

// findAccountId looks an account up by its number: its id, or undefined when no account has it.
export async function findAccountId(number: string): Promise<string | undefined> {
  const page = unwrap(await api.GET('/v1/admin/accounts', { params: { query: { number: accountNumberInput(number), limit: 1 } } }));
  return page.items[0]?.id;
}

// AccountLookup opens the account with the number typed.
export function AccountLookup() {
  const intl = useIntl();
  const navigate = useNavigate();
  const [number, setNumber] = useState('');
  const find = useMutation({
    mutationFn: findAccountId,
    onSuccess: (id) => {
      if (id) navigate(to.account(id));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (accountNumberInput(number) !== '') find.mutate(number);
  };
  return (
    <>
    <form className="filters" onSubmit={submit} role="search" aria-label={intl.formatMessage({ id: 'staff.lookup.label' })}>
      <Field
        label={intl.formatMessage({ id: 'staff.lookup.number' })}
        value={number}
        onChange={(e) => setNumber(e.target.value)}
        inputMode="numeric"
        autoComplete="off"
        maxLength={40}
      />
      <div className="field">
        <Button type="submit" variant="secondary" busy={find.isPending}>
          <FormattedMessage id="staff.lookup.open" />
        </Button>
      </div>
    </form>
      {find.isSuccess && !find.data && (
        <Alert kind="info">
          <FormattedMessage id="staff.lookup.none" />
        </Alert>
      )}
      <ErrorMessage error={find.error} />
    </>
  );
}
