import { useMutation, useQuery } from '@tanstack/react-query';
import { Fragment, useState, type FormEvent, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/problem';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Pager, Select } from '../../ui/kit';
import { DateTime, Money } from '../../ui/format';
import { useCursorPages } from '../../ui/paging';
import { enums, useLabel } from './labels';
import { AccountLink, compact, Section, TableWrap, to, UserLink, useUrlFilters } from './parts';
import { dateTimeInputToRFC3339 } from './time';
import type { AuditEvent, AuditVerification, QueryOf } from './types';

const filterNames = ['type', 'actor_id', 'subject_user_id', 'account_id', 'transfer_id', 'request_id', 'email', 'from', 'to'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

// AuditLog searches the audit log's security, staff and money events, and checks its hash chain.
export function AuditLog() {
  const intl = useIntl();
  const [filters, setFilters, key] = useUrlFilters(filterNames);
  return (
    <Page title={intl.formatMessage({ id: 'staff.audit.title' })}>
      <ChainCheck />
      <AuditFilters key={`f-${key}`} initial={filters} onSearch={setFilters} />
      <AuditResults key={`l-${key}`} filters={filters} />
    </Page>
  );
}

// ChainCheck walks the audit log's hash chain on the API and says whether it holds, or where it
// breaks.
function ChainCheck() {
  const intl = useIntl();
  const verify = useMutation({
    mutationFn: async () => unwrap(await api.GET('/v1/admin/audit-events/verify')),
  });
  return (
    <Section
      title={intl.formatMessage({ id: 'staff.audit.chain' })}
      actions={
        <Button variant="secondary" busy={verify.isPending} onClick={() => verify.mutate()}>
          <FormattedMessage id="staff.audit.verify" />
        </Button>
      }
    >
      <p className="hint">
        <FormattedMessage id="staff.audit.chainHint" />
      </p>
      {verify.data && <ChainResult result={verify.data} />}
      <ErrorMessage error={verify.error} />
    </Section>
  );
}

function ChainResult({ result }: { result: AuditVerification }) {
  const intl = useIntl();
  const head = (
    <dl className="dl">
      <dt>
        <FormattedMessage id="staff.audit.eventsHold" />
      </dt>
      <dd>{intl.formatNumber(result.events)}</dd>
      <dt>
        <FormattedMessage id="staff.audit.head" />
      </dt>
      <dd>
        <FormattedMessage id="staff.audit.seq" values={{ seq: result.head.seq.toString() }} /> <code className="hash">{result.head.hash}</code>
      </dd>
    </dl>
  );
  if (result.ok) {
    return (
      <Alert kind="success">
        <p>
          <strong>
            <FormattedMessage id="staff.audit.chainOk" />
          </strong>
        </p>
        {head}
        <p className="hint">
          <FormattedMessage id="staff.audit.chainHeadHint" />
        </p>
      </Alert>
    );
  }
  return (
    <Alert kind="error">
      <p>
        <strong>
          <FormattedMessage id="staff.audit.chainBroken" values={{ seq: result.break?.seq.toString() ?? '?' }} />
        </strong>
      </p>
      {result.break && (
        <dl className="dl">
          <dt>
            <FormattedMessage id="staff.audit.eventId" />
          </dt>
          <dd>
            <code>{result.break.id}</code>
          </dd>
          <dt>
            <FormattedMessage id="staff.audit.reason" />
          </dt>
          <dd>{result.break.reason}</dd>
        </dl>
      )}
      {head}
    </Alert>
  );
}

function AuditFilters({ initial, onSearch }: { initial: Filters; onSearch: (f: Filters) => void }) {
  const intl = useIntl();
  const label = useLabel();
  const [draft, setDraft] = useState(initial);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(draft);
  };
  const types = [...enums.auditType].sort((a, b) => label('auditType', a).localeCompare(label('auditType', b), intl.locale));
  const text = (name: keyof Filters, id: string, max: number) => (
    <Field label={intl.formatMessage({ id })} value={draft[name]} onChange={set(name)} maxLength={max} autoComplete="off" spellCheck={false} />
  );
  return (
    <form className="card filters" role="search" aria-label={intl.formatMessage({ id: 'staff.audit.search' })} onSubmit={submit}>
      <Select label={intl.formatMessage({ id: 'staff.audit.type' })} value={draft.type} onChange={set('type')}>
        <option value="">{intl.formatMessage({ id: 'staff.any' })}</option>
        {types.map((t) => (
          <option key={t} value={t}>
            {label('auditType', t)}
          </option>
        ))}
      </Select>
      <Field label={intl.formatMessage({ id: 'staff.field.email' })} type="email" value={draft.email} onChange={set('email')} maxLength={254} autoComplete="off" />
      {text('actor_id', 'staff.audit.actorId', 64)}
      {text('subject_user_id', 'staff.audit.userId', 64)}
      {text('account_id', 'staff.audit.accountId', 64)}
      {text('transfer_id', 'staff.audit.transferId', 64)}
      {text('request_id', 'staff.audit.requestId', 64)}
      <Field label={intl.formatMessage({ id: 'staff.field.fromTime' })} type="datetime-local" value={draft.from} onChange={set('from')} />
      <Field label={intl.formatMessage({ id: 'staff.field.toTime' })} type="datetime-local" value={draft.to} onChange={set('to')} />
      <div className="field">
        <Button type="submit">
          <FormattedMessage id="staff.search" />
        </Button>
      </div>
    </form>
  );
}

function AuditResults({ filters }: { filters: Filters }) {
  const pages = useCursorPages();
  const query = compact({
    ...filters,
    from: dateTimeInputToRFC3339(filters.from),
    to: dateTimeInputToRFC3339(filters.to),
    cursor: pages.cursor,
  }) as QueryOf<'listAuditEvents'>;
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'audit', query],
    queryFn: async () => unwrap(await api.GET('/v1/admin/audit-events', { params: { query } })),
  });
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  return (
    <>
      <AuditTable items={data.items} />
      <Pager hasPrev={pages.hasPrev} next={data.next_cursor} onPrev={pages.prev} onNext={() => data.next_cursor && pages.next(data.next_cursor)} />
    </>
  );
}

// RecentAudit shows the latest events matching filter, with a link to all of them in the audit log.
export function RecentAudit({ filter, title }: { filter: Partial<Filters>; title: string }) {
  const query = compact({ ...filter, limit: 10 }) as QueryOf<'listAuditEvents'>;
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'audit', query],
    queryFn: async () => unwrap(await api.GET('/v1/admin/audit-events', { params: { query } })),
  });
  return (
    <Section
      title={title}
      actions={
        <Link to={to.audit(compact(filter) as Record<string, string>)}>
          <FormattedMessage id="staff.audit.all" />
        </Link>
      }
    >
      {isPending ? <Loading /> : error ? <ErrorMessage error={error} /> : <AuditTable items={data.items} caption={title} />}
    </Section>
  );
}

// AuditTable lists events, each with a button that shows all it records.
export function AuditTable({ items, caption }: { items: AuditEvent[]; caption?: string }) {
  const intl = useIntl();
  const label = useLabel();
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  if (items.length === 0) {
    return (
      <p className="muted">
        <FormattedMessage id="staff.audit.none" />
      </p>
    );
  }
  return (
    <TableWrap label={caption ?? intl.formatMessage({ id: 'staff.audit.title' })}>
      <table>
        <caption className="visually-hidden">{caption ?? intl.formatMessage({ id: 'staff.audit.title' })}</caption>
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="staff.field.time" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.audit.type" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.audit.actor" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.audit.user" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.email" />
            </th>
            <th scope="col">
              <span className="visually-hidden">
                <FormattedMessage id="staff.audit.details" />
              </span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => {
            const shown = open.has(e.id);
            const rowId = `audit-${e.id}`;
            return (
              <Fragment key={e.id}>
                <tr>
                  <th scope="row">
                    <DateTime value={e.at} />
                  </th>
                  <td>{label('auditType', e.type)}</td>
                  <td>
                    <UserLink id={e.actor_id} />
                  </td>
                  <td>
                    <UserLink id={e.user_id} />
                  </td>
                  <td>{e.email ?? <span className="muted">—</span>}</td>
                  <td>
                    <Button variant="link" aria-expanded={shown} aria-controls={rowId} onClick={() => toggle(e.id)}>
                      <FormattedMessage id={shown ? 'staff.audit.hide' : 'staff.audit.show'} />
                    </Button>
                  </td>
                </tr>
                {shown && (
                  <tr id={rowId}>
                    <td colSpan={6}>
                      <AuditDetails event={e} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

function AuditDetails({ event: e }: { event: AuditEvent }) {
  const label = useLabel();
  const details = Object.entries(e.details ?? {});
  // The details hold amounts in minor units; with a currency beside one, it is shown as money too.
  const currency = typeof e.details?.currency === 'string' ? e.details.currency : undefined;
  const row = (id: string, value: ReactNode) => (
    <Fragment key={id}>
      <dt>
        <FormattedMessage id={id} />
      </dt>
      <dd>{value}</dd>
    </Fragment>
  );
  return (
    <dl className="dl audit-details">
      {row('staff.audit.type', `${label('auditType', e.type)} (${e.type})`)}
      {row('staff.audit.eventId', <code>{e.id}</code>)}
      {e.seq !== undefined && row('staff.audit.seqLabel', e.seq.toString())}
      {e.actor_id && row('staff.audit.actor', <UserLink id={e.actor_id}>{e.actor_id}</UserLink>)}
      {e.user_id && row('staff.audit.user', <UserLink id={e.user_id}>{e.user_id}</UserLink>)}
      {e.account_ids &&
        e.account_ids.length > 0 &&
        row(
          'staff.audit.accounts',
          e.account_ids.map((a, i) => (
            <Fragment key={a}>
              {i > 0 && ', '}
              <AccountLink id={a}>{a}</AccountLink>
            </Fragment>
          )),
        )}
      {e.transfer_id && row('staff.audit.transfer', <Link to={to.transfer(e.transfer_id)}>{e.transfer_id}</Link>)}
      {e.request_id && row('staff.audit.requestId', <Link to={to.audit({ request_id: e.request_id })}>{e.request_id}</Link>)}
      {e.email && row('staff.field.email', e.email)}
      {e.ip && row('staff.audit.ip', <code>{e.ip}</code>)}
      {e.user_agent && row('staff.audit.userAgent', e.user_agent)}
      {e.subject && row('staff.audit.subject', <code>{e.subject}</code>)}
      {details.length > 0 &&
        row(
          'staff.audit.facts',
          <ul className="plain">
            {details.map(([k, v]) => (
              <li key={k}>
                <code>{k}</code>: {String(v)}
                {k.endsWith('amount') && currency && (typeof v === 'bigint' || Number.isSafeInteger(v)) && (
                  <>
                    {' '}
                    (<Money minor={BigInt(v as bigint | number)} currency={currency} />)
                  </>
                )}
              </li>
            ))}
          </ul>,
        )}
      {e.prev !== undefined && row('staff.audit.prev', <code className="hash">{e.prev || '—'}</code>)}
      {e.hash && row('staff.audit.hash', <code className="hash">{e.hash}</code>)}
    </dl>
  );
}
