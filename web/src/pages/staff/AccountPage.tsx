import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { api, downloadFile } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Pager } from '../../ui/kit';
import { AccountNumber, DateTime, groupNumber, Money } from '../../ui/format';
import { useCursorPages } from '../../ui/paging';
import { AccountActions } from './AccountActions';
import { RecentAudit } from './AuditLog';
import { useLabel } from './labels';
import { EnumBadge, Section, TableWrap, to, UserLink } from './parts';
import { TransferTable } from './Transfers';
import { dayEnd, dayStart, daysBefore, toDateInput } from './time';
import type { Freeze, StaffAccountDetail, Statement } from './types';

// AccountPage shows one account as staff see it: balances, holds, its freeze, statement, transfers
// and freeze history, with the actions the signed-in role may take.
export function AccountPage() {
  const { id = '' } = useParams();
  const intl = useIntl();
  const { data: account, error, isPending } = useQuery({
    queryKey: ['staff', 'account', id],
    queryFn: async () => unwrap(await api.GET('/v1/admin/accounts/{id}', { params: { path: { id } } })),
    // A freeze being applied is put in force by its workflow within moments.
    refetchInterval: (q) => (q.state.data?.freeze?.status === 'pending' ? 2000 : false),
  });
  if (isPending) return <Loading />;
  if (error) {
    return (
      <Page title={intl.formatMessage({ id: 'staff.account.title' })}>
        <ErrorMessage error={error} />
      </Page>
    );
  }
  const title =
    account.kind === 'cash'
      ? intl.formatMessage({ id: 'staff.account.cashTitle' }, { currency: account.currency })
      : intl.formatMessage({ id: 'staff.account.numberTitle' }, { number: groupNumber(account.number) });
  return (
    <Page title={title} actions={<AccountActions account={account} />}>
      <Section title={intl.formatMessage({ id: 'staff.account.summary' })}>
        <Summary account={account} />
      </Section>
      {account.freeze && (
        <Section title={intl.formatMessage({ id: 'staff.account.freeze' })}>
          <FreezeInForce freeze={account.freeze} currency={account.currency} />
        </Section>
      )}
      {account.holds.length > 0 && (
        <Section title={intl.formatMessage({ id: 'staff.account.holds' })}>
          <Holds account={account} />
        </Section>
      )}
      <AccountStatement account={account} />
      <AccountTransfers account={account} />
      <FreezeHistory account={account} />
      <RecentAudit title={intl.formatMessage({ id: 'staff.account.audit' })} filter={{ account_id: account.id }} />
    </Page>
  );
}

function Summary({ account: a }: { account: StaffAccountDetail }) {
  const label = useLabel();
  return (
    <dl className="dl">
      <dt>
        <FormattedMessage id="staff.field.owner" />
      </dt>
      <dd>
        {a.owner ? (
          <>
            <UserLink id={a.owner.id}>{a.owner.full_name || a.owner.email}</UserLink> <span className="muted">{a.owner.email}</span>{' '}
            <EnumBadge group="userStatus" value={a.owner.status} />
          </>
        ) : (
          label('accountKind', a.kind)
        )}
      </dd>
      <dt>
        <FormattedMessage id="staff.field.accountNumber" />
      </dt>
      <dd>
        <AccountNumber value={a.number} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.status" />
      </dt>
      <dd>
        <EnumBadge group="accountStatus" value={a.status} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.balance" />
      </dt>
      <dd className="balance">
        <Money minor={a.balance} currency={a.currency} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.available" />
      </dt>
      <dd>
        <Money minor={a.available_balance} currency={a.currency} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.onHold" />
      </dt>
      <dd>
        <Money minor={a.on_hold} currency={a.currency} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.currency" />
      </dt>
      <dd>{a.currency}</dd>
      <dt>
        <FormattedMessage id="staff.field.createdAt" />
      </dt>
      <dd>
        <DateTime value={a.created_at} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.updatedAt" />
      </dt>
      <dd>
        <DateTime value={a.updated_at} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.id" />
      </dt>
      <dd>
        <code>{a.id}</code>
      </dd>
    </dl>
  );
}

function FreezeInForce({ freeze: f, currency }: { freeze: Freeze; currency: string }) {
  const label = useLabel();
  return (
    <>
      {f.status === 'pending' && (
        <Alert kind="info">
          <FormattedMessage id="staff.freeze.applying" />
        </Alert>
      )}
      <dl className="dl">
        <dt>
          <FormattedMessage id="staff.field.status" />
        </dt>
        <dd>
          <EnumBadge group="freezeStatus" value={f.status} />
        </dd>
        <dt>
          <FormattedMessage id="staff.freeze.reason" />
        </dt>
        <dd>{label('freezeReason', f.reason)}</dd>
        <dt>
          <FormattedMessage id="staff.freeze.scope" />
        </dt>
        <dd>{label('freezeScope', f.scope)}</dd>
        <dt>
          <FormattedMessage id="staff.freeze.note" />
        </dt>
        <dd>{f.note || <span className="muted">—</span>}</dd>
        <dt>
          <FormattedMessage id="staff.freeze.since" />
        </dt>
        <dd>{f.since ? <DateTime value={f.since} /> : <span className="muted">—</span>}</dd>
        <dt>
          <FormattedMessage id="staff.freeze.until" />
        </dt>
        <dd>{f.until ? <DateTime value={f.until} /> : <FormattedMessage id="staff.freeze.untilUnfrozen" />}</dd>
        <dt>
          <FormattedMessage id="staff.freeze.by" />
        </dt>
        <dd>
          <UserLink id={f.frozen_by} />
        </dd>
        {f.balance_at_freeze !== null && (
          <>
            <dt>
              <FormattedMessage id="staff.freeze.balanceAt" />
            </dt>
            <dd>
              <Money minor={f.balance_at_freeze} currency={currency} />
            </dd>
          </>
        )}
        <dt>
          <FormattedMessage id="staff.field.workflow" />
        </dt>
        <dd>
          <code>{f.workflow_id}</code>
        </dd>
      </dl>
    </>
  );
}

function Holds({ account }: { account: StaffAccountDetail }) {
  const intl = useIntl();
  return (
    <TableWrap label={intl.formatMessage({ id: 'staff.account.holds' })}>
      <table>
        <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.account.holds' })}</caption>
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="staff.field.transfer" />
            </th>
            <th scope="col" className="num">
              <FormattedMessage id="staff.field.amount" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.createdAt" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.account.holdExpires" />
            </th>
          </tr>
        </thead>
        <tbody>
          {account.holds.map((h) => (
            <tr key={h.transfer_id}>
              <th scope="row">
                <Link to={to.transfer(h.transfer_id)}>
                  <code>{h.transfer_id.slice(0, 8)}</code>
                </Link>
              </th>
              <td className="num">
                <Money minor={h.amount} currency={account.currency} />
              </td>
              <td>
                <DateTime value={h.created_at} />
              </td>
              <td>
                <DateTime value={h.expires_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

// AccountStatement shows the account's postings over a period, on demand (each read is audited),
// and downloads them as CSV from the API.
function AccountStatement({ account }: { account: StaffAccountDetail }) {
  const intl = useIntl();
  const [draft, setDraft] = useState(() => ({ from: daysBefore(new Date(), 30), to: toDateInput(new Date()) }));
  const [period, setPeriod] = useState<{ from: string; to: string } | undefined>();
  const [invalid, setInvalid] = useState(false);
  const [download, setDownload] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const range = () => {
    const from = dayStart(draft.from);
    const to = dayEnd(draft.to);
    const ok = from !== undefined && to !== undefined && draft.from <= draft.to;
    setInvalid(!ok);
    return ok ? { from, to } : undefined;
  };
  const show = (e: FormEvent) => {
    e.preventDefault();
    const r = range();
    if (r) setPeriod(r);
  };
  const csv = async () => {
    const r = range();
    if (!r) return;
    setDownload({ busy: true });
    try {
      const q = new URLSearchParams(r).toString();
      await downloadFile(`/v1/admin/accounts/${encodeURIComponent(account.id)}/statement?${q}`, `statement-${account.number}-${draft.from}-${draft.to}.csv`);
      setDownload({ busy: false });
    } catch (err) {
      setDownload({ busy: false, error: err });
    }
  };
  return (
    <Section title={intl.formatMessage({ id: 'staff.statement.title' })}>
      <form className="filters" onSubmit={show} aria-label={intl.formatMessage({ id: 'staff.statement.title' })}>
        <Field
          label={intl.formatMessage({ id: 'staff.field.fromDate' })}
          type="date"
          required
          value={draft.from}
          onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))}
        />
        <Field
          label={intl.formatMessage({ id: 'staff.field.toDate' })}
          type="date"
          required
          value={draft.to}
          onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))}
          error={invalid ? intl.formatMessage({ id: 'staff.statement.badRange' }) : undefined}
        />
        <div className="field">
          <Button type="submit">
            <FormattedMessage id="staff.statement.show" />
          </Button>
        </div>
        <div className="field">
          <Button variant="secondary" busy={download.busy} onClick={() => void csv()}>
            <FormattedMessage id="staff.download.csv" />
          </Button>
        </div>
      </form>
      <p className="hint">
        <FormattedMessage id="staff.statement.hint" />
      </p>
      <ErrorMessage error={download.error} />
      {period && <StatementTable account={account} period={period} />}
    </Section>
  );
}

function StatementTable({ account, period }: { account: StaffAccountDetail; period: { from: string; to: string } }) {
  const intl = useIntl();
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'statement', account.id, period],
    // JSON unless the request asks for CSV (downloads do); the contract types both answers.
    queryFn: async () => unwrap(await api.GET('/v1/admin/accounts/{id}/statement', { params: { path: { id: account.id }, query: period } })) as Statement,
    placeholderData: keepPreviousData,
  });
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  const c = data.currency;
  return (
    <>
      <dl className="dl">
        <dt>
          <FormattedMessage id="staff.statement.opening" />
        </dt>
        <dd>
          <Money minor={data.opening_balance} currency={c} />
        </dd>
        <dt>
          <FormattedMessage id="staff.statement.in" />
        </dt>
        <dd>
          <Money minor={data.total_in} currency={c} />
        </dd>
        <dt>
          <FormattedMessage id="staff.statement.out" />
        </dt>
        <dd>
          <Money minor={data.total_out} currency={c} />
        </dd>
        <dt>
          <FormattedMessage id="staff.statement.closing" />
        </dt>
        <dd>
          <strong>
            <Money minor={data.closing_balance} currency={c} />
          </strong>
        </dd>
      </dl>
      {data.entries.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="staff.statement.none" />
        </p>
      ) : (
        <TableWrap label={intl.formatMessage({ id: 'staff.statement.title' })}>
          <table>
            <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.statement.title' })}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="staff.statement.posted" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.description" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.statement.counterparty" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="staff.field.amount" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="staff.statement.balanceAfter" />
                </th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e, i) => (
                <tr key={`${e.posted_at}-${i}`}>
                  <th scope="row">
                    {e.transfer_id ? (
                      <Link to={to.transfer(e.transfer_id)}>
                        <DateTime value={e.posted_at} />
                      </Link>
                    ) : (
                      <DateTime value={e.posted_at} />
                    )}
                  </th>
                  <td>{e.description}</td>
                  <td>{e.counterparty_account_number ? <AccountNumber value={e.counterparty_account_number} /> : <span className="muted">—</span>}</td>
                  <td className="num">
                    <Money minor={e.amount} currency={c} signed />
                  </td>
                  <td className="num">
                    <Money minor={e.balance_after} currency={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

function AccountTransfers({ account }: { account: StaffAccountDetail }) {
  const intl = useIntl();
  const query = { account_id: account.id, limit: 10 };
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'transfers', query],
    queryFn: async () => unwrap(await api.GET('/v1/admin/transfers', { params: { query } })),
  });
  const title = intl.formatMessage({ id: 'staff.account.transfers' });
  return (
    <Section
      title={title}
      actions={
        <Link to={to.transfers({ account_id: account.id, account_number: account.number })}>
          <FormattedMessage id="staff.account.allTransfers" />
        </Link>
      }
    >
      {isPending ? <Loading /> : error ? <ErrorMessage error={error} /> : <TransferTable items={data.items} account={account.id} caption={title} />}
    </Section>
  );
}

function FreezeHistory({ account }: { account: StaffAccountDetail }) {
  const intl = useIntl();
  const label = useLabel();
  const pages = useCursorPages();
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'freezes', account.id, pages.cursor],
    queryFn: async () =>
      unwrap(await api.GET('/v1/admin/accounts/{id}/freezes', { params: { path: { id: account.id }, query: pages.cursor ? { cursor: pages.cursor } : {} } })),
  });
  const title = intl.formatMessage({ id: 'staff.account.freezes' });
  return (
    <Section title={title}>
      {isPending ? (
        <Loading />
      ) : error ? (
        <ErrorMessage error={error} />
      ) : data.items.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="staff.account.noFreezes" />
        </p>
      ) : (
        <TableWrap label={title}>
          <table>
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.asked" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.status" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.reason" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.scope" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.period" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.by" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.ended" />
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((f) => (
                <tr key={f.id}>
                  <th scope="row">
                    <DateTime value={f.created_at} />
                  </th>
                  <td>
                    <EnumBadge group="freezeStatus" value={f.status} />
                    {f.failure_code && <div className="muted">{label('code', f.failure_code)}</div>}
                  </td>
                  <td>
                    {label('freezeReason', f.reason)}
                    {f.note && <div className="muted">{f.note}</div>}
                  </td>
                  <td>{label('freezeScope', f.scope)}</td>
                  <td>
                    {f.since ? <DateTime value={f.since} /> : '—'} → {f.until ? <DateTime value={f.until} /> : <FormattedMessage id="staff.freeze.untilUnfrozen" />}
                  </td>
                  <td>
                    <UserLink id={f.frozen_by} />
                  </td>
                  <td>
                    {f.ended_at ? (
                      <>
                        <DateTime value={f.ended_at} />{' '}
                        {f.ended_by ? (
                          <FormattedMessage id="staff.freeze.endedBy" values={{ who: <UserLink id={f.ended_by} /> }} />
                        ) : (
                          f.status === 'ended' && <FormattedMessage id="staff.freeze.endedByTime" />
                        )}
                        {f.end_note && <div className="muted">{f.end_note}</div>}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {data && <Pager hasPrev={pages.hasPrev} next={data.next_cursor} onPrev={pages.prev} onNext={() => data.next_cursor && pages.next(data.next_cursor)} />}
    </Section>
  );
}
