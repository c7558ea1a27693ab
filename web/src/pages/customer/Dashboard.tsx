import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { bankCurrencies } from '../../lib/currencies';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { Alert, Button, Dialog, ErrorMessage, Loading, Page, Select } from '../../ui/kit';
import { AccountStatus } from './accountStatus';
import { TransferStatus } from './TransferPage';

export function useAccounts() {
  return useQuery({
    queryKey: ['accounts'],
    queryFn: async () => unwrap(await api.GET('/v1/accounts', { params: { query: { limit: 100 } } })).items,
  });
}

function OpenAccount({ open, onClose }: { open: boolean; onClose: () => void }) {
  const intl = useIntl();
  const queries = useQueryClient();
  const [currency, setCurrency] = useState<string>('USD');
  // One key per dialog opening: a retried request opens one account, not two.
  const key = useRef(crypto.randomUUID());
  const open_ = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/v1/accounts', { params: { header: { 'Idempotency-Key': key.current } }, body: { currency } })),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ['accounts'] });
      key.current = crypto.randomUUID();
      onClose();
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    open_.mutate();
  }
  return (
    <Dialog open={open} title={intl.formatMessage({ id: 'accounts.open.title' })} onClose={onClose}>
      <form onSubmit={submit} className="form">
        <ErrorMessage error={open_.error} />
        <Select label={intl.formatMessage({ id: 'field.currency' })} value={currency} onChange={(e) => setCurrency(e.target.value)}>
          {bankCurrencies.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
        <div className="row">
          <Button type="submit" busy={open_.isPending}>
            <FormattedMessage id="accounts.open.submit" />
          </Button>
          <Button variant="secondary" onClick={onClose}>
            <FormattedMessage id="cancel" />
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

// RecentTransfers lists the customer's latest transfers, sent or received.
function RecentTransfers() {
  const intl = useIntl();
  const q = useQuery({
    queryKey: ['transfers', 'recent'],
    queryFn: async () => unwrap(await api.GET('/v1/transfers', { params: { query: { limit: 10 } } })).items,
  });
  return (
    <section className="card" aria-labelledby="recent-h">
      <h2 id="recent-h">
        <FormattedMessage id="accounts.recent" />
      </h2>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorMessage error={q.error} />
      ) : q.data.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="accounts.noTransfers" />
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{intl.formatMessage({ id: 'col.date' })}</th>
                <th scope="col">{intl.formatMessage({ id: 'send.from' })}</th>
                <th scope="col">{intl.formatMessage({ id: 'send.to' })}</th>
                <th scope="col" className="num">{intl.formatMessage({ id: 'col.amount' })}</th>
                <th scope="col">{intl.formatMessage({ id: 'account.status' })}</th>
              </tr>
            </thead>
            <tbody>
              {q.data.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/transfers/${t.id}`}>
                      <DateTime value={t.created_at} />
                    </Link>
                  </td>
                  <td>
                    <AccountNumber value={t.from_account_number} />
                  </td>
                  <td>
                    <AccountNumber value={t.to_account_number} />
                  </td>
                  <td className="num">
                    <Money minor={t.to_account_id && !t.from_account_id ? t.amount : t.from_account_id && !t.to_account_id ? -t.amount : t.amount} currency={t.currency} signed={!(t.to_account_id && t.from_account_id)} />
                  </td>
                  <td>
                    <TransferStatus status={t.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function Dashboard() {
  const intl = useIntl();
  const accounts = useAccounts();
  const [opening, setOpening] = useState(false);
  return (
    <Page
      title={intl.formatMessage({ id: 'accounts.title' })}
      actions={
        <>
          <Link className="btn btn-primary" to="/send">
            <FormattedMessage id="nav.send" />
          </Link>
          <Button variant="secondary" onClick={() => setOpening(true)}>
            <FormattedMessage id="accounts.open.button" />
          </Button>
        </>
      }
    >
      <OpenAccount open={opening} onClose={() => setOpening(false)} />
      {accounts.isPending ? (
        <Loading />
      ) : accounts.error ? (
        <ErrorMessage error={accounts.error} />
      ) : accounts.data.length === 0 ? (
        <Alert kind="info">
          <FormattedMessage id="accounts.none" />
        </Alert>
      ) : (
        <ul className="grid plain-list" aria-label={intl.formatMessage({ id: 'accounts.title' })}>
          {accounts.data.map((a) => (
            <li key={a.id} className="card account-card" data-account-number={a.number}>
              <div className="row row-between">
                <Link to={`/accounts/${a.id}`} aria-label={intl.formatMessage({ id: 'accounts.open.link' }, { number: a.number })}>
                  <AccountNumber value={a.number} />
                </Link>
                <AccountStatus account={a} />
              </div>
              <p className="balance" data-testid="balance">
                <Money minor={a.balance} currency={a.currency} />
              </p>
              <p className="muted">
                <FormattedMessage id="accounts.available" />{' '}
                <Money minor={a.available_balance} currency={a.currency} />
              </p>
            </li>
          ))}
        </ul>
      )}
      <RecentTransfers />
    </Page>
  );
}
