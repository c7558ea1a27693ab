import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { api, downloadFile } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { dayEnd, dayStart, localDay } from '../../lib/dates';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Pager, Select } from '../../ui/kit';
import { useCursorPages } from '../../ui/paging';
import { NotFound } from '../public/NotFound';
import { AccountStatus } from './accountStatus';

type Direction = 'all' | 'incoming' | 'outgoing';

interface Filters {
  direction: Direction;
  from: string;
  to: string;
}

function History({ accountId, currency }: { accountId: string; currency: string }) {
  const intl = useIntl();
  const [draft, setDraft] = useState<Filters>({ direction: 'all', from: '', to: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['accounts', accountId, 'transactions', filters, pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET('/v1/accounts/{id}/transactions', {
          params: {
            path: { id: accountId },
            query: {
              direction: filters.direction,
              ...(filters.from ? { from: dayStart(filters.from) } : {}),
              ...(filters.to ? { to: dayEnd(filters.to) } : {}),
              limit: 20,
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
    placeholderData: (prev) => prev,
  });
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>();

  function apply(e: FormEvent) {
    e.preventDefault();
    pages.reset();
    setFilters(draft);
  }

  async function statement() {
    // A statement covers at most 366 days: by default the last 30, or the filter's days.
    setDownloadError(undefined);
    setDownloading(true);
    const to = filters.to || localDay(new Date());
    const from = filters.from || localDay(new Date(Date.now() - 30 * 86_400_000));
    const q = new URLSearchParams({ from: dayStart(from)!, to: dayEnd(to)! });
    try {
      await downloadFile(`/v1/accounts/${encodeURIComponent(accountId)}/statement?${q}`, `statement-${from}-${to}.csv`);
    } catch (err) {
      setDownloadError(err);
    } finally {
      setDownloading(false);
    }
  }

  return (
    <section className="card" aria-labelledby="history-h">
      <div className="row row-between">
        <h2 id="history-h">
          <FormattedMessage id="account.history" />
        </h2>
        <Button variant="secondary" busy={downloading} onClick={() => void statement()}>
          <FormattedMessage id="account.statement" />
        </Button>
      </div>
      <ErrorMessage error={downloadError} />
      <form className="filters" onSubmit={apply} aria-label={intl.formatMessage({ id: 'filters' })}>
        <Select label={intl.formatMessage({ id: 'account.direction' })} value={draft.direction} onChange={(e) => setDraft({ ...draft, direction: e.target.value as Direction })}>
          <option value="all">{intl.formatMessage({ id: 'account.direction.all' })}</option>
          <option value="incoming">{intl.formatMessage({ id: 'account.direction.incoming' })}</option>
          <option value="outgoing">{intl.formatMessage({ id: 'account.direction.outgoing' })}</option>
        </Select>
        <Field label={intl.formatMessage({ id: 'filter.from' })} type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        <Field label={intl.formatMessage({ id: 'filter.to' })} type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        <Button type="submit" variant="secondary">
          <FormattedMessage id="filter.apply" />
        </Button>
      </form>
      {query.isPending ? (
        <Loading />
      ) : query.error ? (
        <ErrorMessage error={query.error} />
      ) : query.data.items.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="account.noEntries" />
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">
              <FormattedMessage id="account.history" />
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="col.date" />
                </th>
                <th scope="col">
                  <FormattedMessage id="col.description" />
                </th>
                <th scope="col">
                  <FormattedMessage id="col.counterparty" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="col.amount" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="col.balance" />
                </th>
              </tr>
            </thead>
            <tbody>
              {query.data.items.map((t) => (
                <tr key={t.id}>
                  <td>
                    <DateTime value={t.created_at} />
                  </td>
                  <td>{t.transfer_id ? <Link to={`/transfers/${t.transfer_id}`}>{t.description || intl.formatMessage({ id: 'account.transfer' })}</Link> : t.description}</td>
                  <td>{t.counterparty_account_number ? <AccountNumber value={t.counterparty_account_number} /> : '—'}</td>
                  <td className="num">
                    <Money minor={t.direction === 'outgoing' ? -t.amount : t.amount} currency={t.currency || currency} signed />
                  </td>
                  <td className="num">
                    <Money minor={t.balance_after} currency={t.currency || currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager hasPrev={pages.hasPrev} next={query.data?.next_cursor} onPrev={pages.prev} onNext={() => query.data?.next_cursor && pages.next(query.data.next_cursor)} />
    </section>
  );
}

export default function AccountPage() {
  const { id = '' } = useParams();
  const intl = useIntl();
  const account = useQuery({
    queryKey: ['accounts', id],
    queryFn: async () => unwrap(await api.GET('/v1/accounts/{id}', { params: { path: { id } } })),
  });
  if (account.error instanceof ApiError && account.error.status === 404) return <NotFound />;
  const a = account.data;
  return (
    <Page
      title={a ? intl.formatMessage({ id: 'account.title' }, { number: a.number.replace(/(\d{3})(?=\d)/g, '$1 ') }) : intl.formatMessage({ id: 'account.titleLoading' })}
      actions={
        a?.status === 'active' ? (
          <Link className="btn btn-primary" to={`/send?from=${a.id}`}>
            <FormattedMessage id="nav.send" />
          </Link>
        ) : undefined
      }
    >
      {account.isPending ? (
        <Loading />
      ) : account.error ? (
        <ErrorMessage error={account.error} />
      ) : (
        <>
          <section className="card" aria-label={intl.formatMessage({ id: 'account.summary' })}>
            <dl className="dl">
              <dt>
                <FormattedMessage id="account.status" />
              </dt>
              <dd data-testid="account-status">
                <AccountStatus account={account.data} />
              </dd>
              <dt>
                <FormattedMessage id="account.balance" />
              </dt>
              <dd className="balance" data-testid="balance">
                <Money minor={account.data.balance} currency={account.data.currency} />
              </dd>
              <dt>
                <FormattedMessage id="account.available" />
              </dt>
              <dd>
                <Money minor={account.data.available_balance} currency={account.data.currency} />
              </dd>
              <dt>
                <FormattedMessage id="account.opened" />
              </dt>
              <dd>
                <DateTime value={account.data.created_at} dateOnly />
              </dd>
            </dl>
          </section>
          {account.data.status === 'frozen' && (
            <Alert kind="warning">
              <FormattedMessage id="account.frozen" />{' '}
              {account.data.freeze_reason && <FormattedMessage id={`freeze.reason.${account.data.freeze_reason}`} />}
              {account.data.frozen_until && (
                <>
                  {' '}
                  <FormattedMessage id="account.frozenUntil" /> <DateTime value={account.data.frozen_until} />
                </>
              )}
            </Alert>
          )}
          <History accountId={account.data.id} currency={account.data.currency} />
        </>
      )}
    </Page>
  );
}
