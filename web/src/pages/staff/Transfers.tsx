import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Pager, Select } from '../../ui/kit';
import { DateTime, Money } from '../../ui/format';
import { useCursorPages } from '../../ui/paging';
import { accountNumberInput, findAccountId } from './AccountLookup';
import { enums, useLabel } from './labels';
import { AccountLink, compact, EnumBadge, TableWrap, to, useUrlFilters } from './parts';
import { dayEnd, dayStart } from './time';
import type { QueryOf, StaffTransfer } from './types';

const filterNames = ['account_id', 'account_number', 'status', 'kind', 'from', 'to'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

// Transfers finds transfers, deposits and withdrawals of every customer, by account, status, kind
// and when they were asked for.
export function Transfers() {
  const intl = useIntl();
  const [filters, setFilters, key] = useUrlFilters(filterNames);
  return (
    <Page title={intl.formatMessage({ id: 'staff.transfers.title' })}>
      <TransferFilters key={`f-${key}`} initial={filters} onSearch={setFilters} />
      <TransferResults key={`l-${key}`} filters={filters} />
    </Page>
  );
}

function TransferFilters({ initial, onSearch }: { initial: Filters; onSearch: (f: Filters) => void }) {
  const intl = useIntl();
  const label = useLabel();
  const [draft, setDraft] = useState(initial);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value }));
  // An account number typed is looked up to the account's id, which is what the API filters by.
  const resolve = useMutation({
    mutationFn: async (f: Filters): Promise<Filters | undefined> => {
      const number = accountNumberInput(f.account_number);
      // Left empty: a number cleared drops its account; an account chosen by a link stays.
      if (number === '') return { ...f, account_number: '', account_id: initial.account_number === '' ? initial.account_id : '' };
      if (number === initial.account_number && initial.account_id) return { ...f, account_number: number };
      const id = await findAccountId(number);
      return id ? { ...f, account_number: number, account_id: id } : undefined;
    },
    onSuccess: (f) => f && onSearch(f),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve.mutate(draft);
  };
  return (
    <>
      <form className="card filters" role="search" aria-label={intl.formatMessage({ id: 'staff.transfers.search' })} onSubmit={submit}>
        <Field
          label={intl.formatMessage({ id: 'staff.field.accountNumber' })}
          value={draft.account_number}
          onChange={set('account_number')}
          inputMode="numeric"
          autoComplete="off"
          maxLength={40}
        />
        <Select label={intl.formatMessage({ id: 'staff.field.status' })} value={draft.status} onChange={set('status')}>
          <option value="">{intl.formatMessage({ id: 'staff.any' })}</option>
          {enums.transferStatus.map((s) => (
            <option key={s} value={s}>
              {label('transferStatus', s)}
            </option>
          ))}
        </Select>
        <Select label={intl.formatMessage({ id: 'staff.field.kind' })} value={draft.kind} onChange={set('kind')}>
          <option value="">{intl.formatMessage({ id: 'staff.any' })}</option>
          {enums.transferKind.map((k) => (
            <option key={k} value={k}>
              {label('transferKind', k)}
            </option>
          ))}
        </Select>
        <Field label={intl.formatMessage({ id: 'staff.field.fromDate' })} type="date" value={draft.from} onChange={set('from')} />
        <Field label={intl.formatMessage({ id: 'staff.field.toDate' })} type="date" value={draft.to} onChange={set('to')} />
        <div className="field">
          <Button type="submit" busy={resolve.isPending}>
            <FormattedMessage id="staff.search" />
          </Button>
        </div>
      </form>
      {initial.account_id && !initial.account_number && (
        <p>
          <FormattedMessage id="staff.transfers.ofAccount" values={{ account: <AccountLink id={initial.account_id} /> }} />{' '}
          <Button variant="link" onClick={() => onSearch({ ...initial, account_id: '' })}>
            <FormattedMessage id="staff.transfers.anyAccount" />
          </Button>
        </p>
      )}
      {resolve.isSuccess && !resolve.data && (
        <Alert kind="info">
          <FormattedMessage id="staff.lookup.none" />
        </Alert>
      )}
      <ErrorMessage error={resolve.error} />
    </>
  );
}

function TransferResults({ filters }: { filters: Filters }) {
  const pages = useCursorPages();
  const query = compact({
    account_id: filters.account_id,
    status: filters.status,
    kind: filters.kind,
    from: dayStart(filters.from),
    to: dayEnd(filters.to),
    cursor: pages.cursor,
  }) as QueryOf<'staffListTransfers'>;
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'transfers', query],
    queryFn: async () => unwrap(await api.GET('/v1/admin/transfers', { params: { query } })),
  });
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  return (
    <>
      <TransferTable items={data.items} account={filters.account_id || undefined} />
      <Pager hasPrev={pages.hasPrev} next={data.next_cursor} onPrev={pages.prev} onNext={() => data.next_cursor && pages.next(data.next_cursor)} />
    </>
  );
}

// TransferTable lists transfers, newest first; with account, the amounts are signed as that
// account saw them.
export function TransferTable({ items, account, caption }: { items: StaffTransfer[]; account?: string | undefined; caption?: string }) {
  const intl = useIntl();
  if (items.length === 0) {
    return (
      <p className="muted">
        <FormattedMessage id="staff.transfers.none" />
      </p>
    );
  }
  return (
    <TableWrap label={caption ?? intl.formatMessage({ id: 'staff.transfers.title' })}>
      <table>
        <caption className="visually-hidden">{caption ?? intl.formatMessage({ id: 'staff.transfers.title' })}</caption>
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="staff.field.createdAt" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.kind" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.status" />
            </th>
            <th scope="col" className="num">
              <FormattedMessage id="staff.field.amount" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.fromAccount" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.toAccount" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.description" />
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((t) => (
            <tr key={t.id}>
              <th scope="row">
                <Link to={to.transfer(t.id)}>
                  <DateTime value={t.created_at} />
                </Link>
              </th>
              <td>
                <EnumBadge group="transferKind" value={t.kind} />
              </td>
              <td>
                <EnumBadge group="transferStatus" value={t.status} />
              </td>
              <td className="num">
                <Money
                  minor={account === t.from_account_id ? -t.amount : t.amount}
                  currency={t.currency}
                  signed={account !== undefined && (account === t.from_account_id || account === t.to_account_id)}
                />
              </td>
              <td>
                <AccountLink id={t.from_account_id} />
              </td>
              <td>
                <AccountLink id={t.to_account_id} />
              </td>
              <td>{t.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
