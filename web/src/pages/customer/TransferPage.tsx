import { useQuery } from '@tanstack/react-query';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import type { components } from '../../api/schema';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { Alert, Badge, ErrorMessage, Loading, Page } from '../../ui/kit';
import { Steps, type Step } from '../../ui/Steps';
import { NotFound } from '../public/NotFound';

type Transfer = components['schemas']['Transfer'];

const order = ['accept', 'validate', 'place_hold', 'post'] as const;

// transferSteps is the transfer's path so far and the steps still ahead of a pending one.
export function transferSteps(t: Transfer, label: (name: string) => string): Step[] {
  const done: Step[] = t.steps.map((s, i) => ({
    key: `${s.name}-${i}`,
    label: label(s.name),
    state: s.status === 'ok' ? 'done' : 'failed',
    detail: s.detail,
  }));
  if (t.status !== 'pending') return done;
  const seen = new Set(t.steps.map((s) => s.name));
  const ahead = order.filter((n) => !seen.has(n));
  return [...done, ...ahead.map((n, i): Step => ({ key: n, label: label(n), state: i === 0 ? 'active' : 'todo' }))];
}

export function TransferStatus({ status }: { status: Transfer['status'] }) {
  const tone = status === 'completed' ? 'ok' : status === 'pending' ? 'warn' : 'bad';
  return (
    <Badge tone={tone}>
      <FormattedMessage id={`transfer.status.${status}`} />
    </Badge>
  );
}

export default function TransferPage() {
  const { id = '' } = useParams();
  const intl = useIntl();
  // The live socket refreshes this page when the transfer ends; while it runs, a short poll shows
  // each step as the workflow takes it.
  const q = useQuery({
    queryKey: ['transfers', id],
    queryFn: async () => unwrap(await api.GET('/v1/transfers/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 1000 : false),
  });
  if (q.error instanceof ApiError && q.error.status === 404) return <NotFound />;
  const t = q.data;
  return (
    <Page title={intl.formatMessage({ id: 'transfer.title' })}>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorMessage error={q.error} />
      ) : t ? (
        <>
          <section className="card" aria-live="polite">
            <p className="row row-between">
              <span className="balance">
                <Money minor={t.amount} currency={t.currency} />
              </span>
              <span data-testid="transfer-status">
                <TransferStatus status={t.status} />
              </span>
            </p>
            {t.status === 'completed' && (
              <Alert kind="success">
                <FormattedMessage id="transfer.done" />
              </Alert>
            )}
            {(t.status === 'failed' || t.status === 'compensated') && (
              <Alert>
                <FormattedMessage id="transfer.notDone" /> {t.failure_reason}
              </Alert>
            )}
            <Steps steps={transferSteps(t, (n) => intl.formatMessage({ id: `transfer.step.${n}` }))} />
          </section>
          <section className="card">
            <dl className="dl">
              <dt>
                <FormattedMessage id="send.from" />
              </dt>
              <dd>{t.from_account_id ? <Link to={`/accounts/${t.from_account_id}`}><AccountNumber value={t.from_account_number} /></Link> : <AccountNumber value={t.from_account_number} />}</dd>
              <dt>
                <FormattedMessage id="send.to" />
              </dt>
              <dd>{t.to_account_id ? <Link to={`/accounts/${t.to_account_id}`}><AccountNumber value={t.to_account_number} /></Link> : <AccountNumber value={t.to_account_number} />}</dd>
              {t.description && (
                <>
                  <dt>
                    <FormattedMessage id="col.description" />
                  </dt>
                  <dd>{t.description}</dd>
                </>
              )}
              <dt>
                <FormattedMessage id="transfer.created" />
              </dt>
              <dd>
                <DateTime value={t.created_at} />
              </dd>
              {t.completed_at && (
                <>
                  <dt>
                    <FormattedMessage id="transfer.ended" />
                  </dt>
                  <dd>
                    <DateTime value={t.completed_at} />
                  </dd>
                </>
              )}
            </dl>
          </section>
        </>
      ) : null}
    </Page>
  );
}
