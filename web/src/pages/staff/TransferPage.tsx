import { useQuery } from '@tanstack/react-query';
import { FormattedMessage, useIntl, type IntlShape } from 'react-intl';
import { useParams } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { ErrorMessage, Loading, Page } from '../../ui/kit';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { Steps, type Step } from '../../ui/Steps';
import { RecentAudit } from './AuditLog';
import { useLabel } from './labels';
import { AccountLink, EnumBadge, Section, UserLink } from './parts';
import type { StaffTransferDetail } from './types';

// transferSteps is a transfer's timeline as the steps component shows it: each step the API
// recorded, done or failed, then, while the transfer is pending, the work still under way.
export function transferSteps(t: StaffTransferDetail, intl: IntlShape, label: (group: 'step', value: string) => string): Step[] {
  const steps: Step[] = t.steps.map((s, i) => ({
    key: `${s.name}-${i}`,
    label: `${label('step', s.name)} · ${intl.formatDate(new Date(s.at), { dateStyle: 'medium', timeStyle: 'medium' })}`,
    state: s.status === 'ok' ? 'done' : 'failed',
    detail: s.detail,
  }));
  if (t.status === 'pending') steps.push({ key: 'running', label: intl.formatMessage({ id: 'staff.transfer.running' }), state: 'active' });
  return steps;
}

// TransferPage shows a transfer, deposit or withdrawal with both accounts, who asked for it, its
// outcome and its whole timeline.
export function TransferPage() {
  const { id = '' } = useParams();
  const intl = useIntl();
  const label = useLabel();
  const { data: t, error, isPending } = useQuery({
    queryKey: ['staff', 'transfer', id],
    queryFn: async () => unwrap(await api.GET('/v1/admin/transfers/{id}', { params: { path: { id } } })),
    // A pending transfer ends within seconds; its page follows it until then.
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? 2000 : false),
  });
  if (isPending) return <Loading />;
  if (error) {
    return (
      <Page title={intl.formatMessage({ id: 'staff.transfer.title' })}>
        <ErrorMessage error={error} />
      </Page>
    );
  }
  return (
    <Page title={label('transferKind', t.kind)}>
      <Section title={intl.formatMessage({ id: 'staff.transfer.summary' })}>
        <dl className="dl">
          <dt>
            <FormattedMessage id="staff.field.status" />
          </dt>
          <dd>
            <EnumBadge group="transferStatus" value={t.status} />
          </dd>
          <dt>
            <FormattedMessage id="staff.field.amount" />
          </dt>
          <dd className="balance">
            <Money minor={t.amount} currency={t.currency} />
          </dd>
          <dt>
            <FormattedMessage id="staff.field.fromAccount" />
          </dt>
          <dd>
            <AccountLink id={t.from_account_id}>
              <AccountNumber value={t.from_account_number} />
            </AccountLink>
          </dd>
          <dt>
            <FormattedMessage id="staff.field.toAccount" />
          </dt>
          <dd>
            <AccountLink id={t.to_account_id}>
              <AccountNumber value={t.to_account_number} />
            </AccountLink>
          </dd>
          <dt>
            <FormattedMessage id="staff.field.description" />
          </dt>
          <dd>{t.description || <span className="muted">—</span>}</dd>
          <dt>
            <FormattedMessage id="staff.transfer.initiatedBy" />
          </dt>
          <dd>
            <UserLink id={t.initiated_by} />
          </dd>
          <dt>
            <FormattedMessage id="staff.field.createdAt" />
          </dt>
          <dd>
            <DateTime value={t.created_at} />
          </dd>
          <dt>
            <FormattedMessage id="staff.transfer.completedAt" />
          </dt>
          <dd>{t.completed_at ? <DateTime value={t.completed_at} /> : <span className="muted">—</span>}</dd>
          {t.failure_code && (
            <>
              <dt>
                <FormattedMessage id="staff.transfer.failure" />
              </dt>
              <dd>
                {label('code', t.failure_code)} <code>{t.failure_code}</code>
                {t.failure_reason && <div>{t.failure_reason}</div>}
              </dd>
            </>
          )}
          <dt>
            <FormattedMessage id="staff.field.workflow" />
          </dt>
          <dd>
            <code>{t.workflow_id}</code>
          </dd>
          <dt>
            <FormattedMessage id="staff.field.id" />
          </dt>
          <dd>
            <code>{t.id}</code>
          </dd>
        </dl>
      </Section>
      <Section title={intl.formatMessage({ id: 'staff.transfer.steps' })}>
        <Steps steps={transferSteps(t, intl, label)} />
      </Section>
      <RecentAudit title={intl.formatMessage({ id: 'staff.transfer.audit' })} filter={{ transfer_id: t.id }} />
    </Page>
  );
}
