import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { api, downloadFile } from '../../api/client';
import { unwrap } from '../../api/problem';
import { currencyDigits, formatMoney } from '../../lib/money';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Select } from '../../ui/kit';
import { useCan } from './can';
import { enums, useLabel } from './labels';
import { AccountLink, Section, TableWrap } from './parts';
import { accountCounts, axisTick, chartRows, countKeys, currencies, totals, volumeKeys, type ChartRow, type CountKey, type VolumeKey } from './reportData';
import { browserTimeZone, dayEnd, dayStart, daysBefore, toDateInput } from './time';
import type { AccountsReport, Interval, TransactionsReport } from './types';

// This module alone imports the charting library, and the staff routes load it lazily: no other
// page carries it.

const colors: Record<VolumeKey | CountKey, string> = {
  transfer_volume: '#0b4f6c',
  deposit_volume: '#1d6b35',
  withdrawal_volume: '#b35c00',
  transfers: '#0b4f6c',
  deposits: '#1d6b35',
  withdrawals: '#b35c00',
  failed: '#a4161a',
  compensated: '#6a4c93',
  active_customers: '#4d5b68',
};

export default function Reports() {
  const intl = useIntl();
  const can = useCan();
  return (
    <Page title={intl.formatMessage({ id: 'staff.reports.title' })}>
      <TransactionsSection />
      <AccountsSection />
      {can('checkLedger') && <LedgerCheck />}
    </Page>
  );
}

interface Period {
  from: string;
  to: string;
  interval: Interval;
}

function TransactionsSection() {
  const intl = useIntl();
  const label = useLabel();
  const tz = browserTimeZone();
  const [draft, setDraft] = useState<Period>(() => ({ from: daysBefore(new Date(), 29), to: toDateInput(new Date()), interval: 'day' }));
  const [period, setPeriod] = useState<Period>(draft);
  const [invalid, setInvalid] = useState(false);
  const [download, setDownload] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const query = (p: Period) => {
    const from = dayStart(p.from);
    const to = dayEnd(p.to);
    return from && to && p.from <= p.to ? { from, to, interval: p.interval, tz } : undefined;
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ok = query(draft) !== undefined;
    setInvalid(!ok);
    if (ok) setPeriod(draft);
  };
  const csv = async () => {
    const q = query(draft);
    setInvalid(!q);
    if (!q) return;
    setDownload({ busy: true });
    try {
      await downloadFile(`/v1/admin/reports/transactions?${new URLSearchParams(q).toString()}`, `transactions-${draft.from}-${draft.to}-${draft.interval}.csv`);
      setDownload({ busy: false });
    } catch (err) {
      setDownload({ busy: false, error: err });
    }
  };
  const q = query(period);
  const { data, error, isPending, isFetching } = useQuery({
    queryKey: ['staff', 'reports', 'transactions', q],
    queryFn: async () => unwrap(await api.GET('/v1/admin/reports/transactions', { params: { query: q! } })) as TransactionsReport,
    enabled: q !== undefined,
    placeholderData: keepPreviousData,
  });
  return (
    <Section title={intl.formatMessage({ id: 'staff.reports.transactions' })}>
      <form className="filters" onSubmit={submit} aria-label={intl.formatMessage({ id: 'staff.reports.transactions' })}>
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
        <Select
          label={intl.formatMessage({ id: 'staff.reports.interval' })}
          value={draft.interval}
          onChange={(e) => setDraft((d) => ({ ...d, interval: e.target.value as Interval }))}
        >
          {enums.interval.map((i) => (
            <option key={i} value={i}>
              {label('interval', i)}
            </option>
          ))}
        </Select>
        <div className="field">
          <Button type="submit" busy={isFetching}>
            <FormattedMessage id="staff.reports.show" />
          </Button>
        </div>
        <div className="field">
          <Button variant="secondary" busy={download.busy} onClick={() => void csv()}>
            <FormattedMessage id="staff.download.csv" />
          </Button>
        </div>
      </form>
      <p className="hint">
        <FormattedMessage id="staff.reports.tz" values={{ tz }} />
      </p>
      <ErrorMessage error={download.error} />
      {isPending && q ? <Loading /> : error ? <ErrorMessage error={error} /> : data && <TransactionsResult report={data} />}
    </Section>
  );
}

function TransactionsResult({ report }: { report: TransactionsReport }) {
  const intl = useIntl();
  const all = currencies(report.items);
  const [chosen, setChosen] = useState<string | undefined>();
  const currency = chosen && all.includes(chosen) ? chosen : all[0];
  if (!currency) {
    return (
      <p className="muted">
        <FormattedMessage id="staff.reports.noCurrencies" />
      </p>
    );
  }
  const rows = chartRows(report.items, currency, report.interval, intl.locale);
  return (
    <>
      {all.length > 1 && (
        <div className="filters">
          <Select label={intl.formatMessage({ id: 'staff.field.currency' })} value={currency} onChange={(e) => setChosen(e.target.value)}>
            {all.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </Select>
        </div>
      )}
      <div className="charts">
        <VolumeChart rows={rows} currency={currency} />
        <CountChart rows={rows} />
      </div>
      <TransactionsTable report={report} rows={rows} currency={currency} />
    </>
  );
}

function useSeriesNames() {
  const intl = useIntl();
  return (key: VolumeKey | CountKey) => intl.formatMessage({ id: `staff.reports.series.${key}` });
}

function VolumeChart({ rows, currency }: { rows: ChartRow[]; currency: string }) {
  const intl = useIntl();
  const name = useSeriesNames();
  const digits = currencyDigits(currency);
  const caption = useId();
  return (
    <figure className="card" aria-labelledby={caption}>
      <figcaption id={caption}>
        <h3>
          <FormattedMessage id="staff.reports.volumeChart" values={{ currency }} />
        </h3>
        <p className="hint">
          <FormattedMessage id="staff.reports.chartHint" />
        </p>
      </figcaption>
      <div className="chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={12} />
            <YAxis tickFormatter={(v: number) => axisTick(v, currency, digits, intl.locale)} tick={{ fontSize: 12 }} width={72} />
            <Tooltip content={(p: TooltipContentProps) => <VolumeTooltip active={p.active} payload={p.payload} currency={currency} />} />
            <Legend />
            {volumeKeys.map((k) => (
              <Bar key={k} dataKey={(r: ChartRow) => r.plot[k]} name={name(k)} stackId="volume" fill={colors[k]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

// VolumeTooltip writes each volume from the report's exact bigint, never from the plotted number.
function VolumeTooltip({ active, payload, currency }: { active: boolean; payload: TooltipContentProps['payload']; currency: string }) {
  const intl = useIntl();
  const name = useSeriesNames();
  const row = payload?.[0]?.payload as ChartRow | undefined;
  if (!active || !row) return null;
  const total = row.row.transfer_volume + row.row.deposit_volume + row.row.withdrawal_volume;
  return (
    <div className="card chart-tooltip">
      <strong>{row.label}</strong>
      <dl className="dl">
        {volumeKeys.map((k) => (
          <TooltipLine key={k} term={name(k)} value={formatMoney(row.row[k], currency, intl.locale)} />
        ))}
        <TooltipLine term={intl.formatMessage({ id: 'staff.reports.total' })} value={formatMoney(total, currency, intl.locale)} />
      </dl>
    </div>
  );
}

function CountChart({ rows }: { rows: ChartRow[] }) {
  const intl = useIntl();
  const name = useSeriesNames();
  const caption = useId();
  return (
    <figure className="card" aria-labelledby={caption}>
      <figcaption id={caption}>
        <h3>
          <FormattedMessage id="staff.reports.countChart" />
        </h3>
        <p className="hint">
          <FormattedMessage id="staff.reports.chartHint" />
        </p>
      </figcaption>
      <div className="chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={12} />
            <YAxis allowDecimals={false} tickFormatter={(v: number) => intl.formatNumber(v)} tick={{ fontSize: 12 }} width={48} />
            <Tooltip formatter={(v) => intl.formatNumber(Number(v))} />
            <Legend />
            {countKeys.map((k) => (
              <Bar key={k} dataKey={(r: ChartRow) => r.row[k]} name={name(k)} fill={colors[k]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

function TooltipLine({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd className="money">{value}</dd>
    </>
  );
}

function TransactionsTable({ report, rows, currency }: { report: TransactionsReport; rows: ChartRow[]; currency: string }) {
  const intl = useIntl();
  const name = useSeriesNames();
  const sum = totals(report.items, currency);
  const count = (n: number) => intl.formatNumber(n);
  return (
    <TableWrap label={intl.formatMessage({ id: 'staff.reports.tableCaption' }, { currency })}>
      <table>
        <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.reports.tableCaption' }, { currency })}</caption>
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="staff.reports.period" />
            </th>
            <th scope="col" className="num">
              {name('transfers')}
            </th>
            <th scope="col" className="num">
              {name('transfer_volume')}
            </th>
            <th scope="col" className="num">
              {name('deposits')}
            </th>
            <th scope="col" className="num">
              {name('deposit_volume')}
            </th>
            <th scope="col" className="num">
              {name('withdrawals')}
            </th>
            <th scope="col" className="num">
              {name('withdrawal_volume')}
            </th>
            <th scope="col" className="num">
              {name('failed')}
            </th>
            <th scope="col" className="num">
              {name('compensated')}
            </th>
            <th scope="col" className="num">
              {name('active_customers')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ label, row: r }) => (
            <tr key={r.period}>
              <th scope="row" className="nowrap">
                {label}
              </th>
              <td className="num">{count(r.transfers)}</td>
              <td className="num">
                <Money minor={r.transfer_volume} currency={currency} />
              </td>
              <td className="num">{count(r.deposits)}</td>
              <td className="num">
                <Money minor={r.deposit_volume} currency={currency} />
              </td>
              <td className="num">{count(r.withdrawals)}</td>
              <td className="num">
                <Money minor={r.withdrawal_volume} currency={currency} />
              </td>
              <td className="num">{count(r.failed)}</td>
              <td className="num">{count(r.compensated)}</td>
              <td className="num">{count(r.active_customers)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">
              <FormattedMessage id="staff.reports.total" />
            </th>
            <td className="num">{count(sum.transfers)}</td>
            <td className="num">
              <Money minor={sum.transfer_volume} currency={currency} />
            </td>
            <td className="num">{count(sum.deposits)}</td>
            <td className="num">
              <Money minor={sum.deposit_volume} currency={currency} />
            </td>
            <td className="num">{count(sum.withdrawals)}</td>
            <td className="num">
              <Money minor={sum.withdrawal_volume} currency={currency} />
            </td>
            <td className="num">{count(sum.failed)}</td>
            <td className="num">{count(sum.compensated)}</td>
            <td className="num">
              <span className="muted">—</span>
            </td>
          </tr>
        </tfoot>
      </table>
    </TableWrap>
  );
}

function AccountsSection() {
  const intl = useIntl();
  const [download, setDownload] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'reports', 'accounts'],
    queryFn: async () => unwrap(await api.GET('/v1/admin/reports/accounts')) as AccountsReport,
  });
  const csv = async () => {
    setDownload({ busy: true });
    try {
      await downloadFile('/v1/admin/reports/accounts', `accounts-${toDateInput(new Date())}.csv`);
      setDownload({ busy: false });
    } catch (err) {
      setDownload({ busy: false, error: err });
    }
  };
  return (
    <Section
      title={intl.formatMessage({ id: 'staff.reports.accounts' })}
      actions={
        <Button variant="secondary" busy={download.busy} onClick={() => void csv()}>
          <FormattedMessage id="staff.download.csv" />
        </Button>
      }
    >
      <ErrorMessage error={download.error} />
      {isPending ? <Loading /> : error ? <ErrorMessage error={error} /> : <AccountsResult report={data} />}
    </Section>
  );
}

function AccountsResult({ report }: { report: AccountsReport }) {
  const intl = useIntl();
  const label = useLabel();
  const counts = accountCounts(report);
  const caption = useId();
  return (
    <>
      {counts.length > 0 && (
        <figure className="card" aria-labelledby={caption}>
          <figcaption id={caption}>
            <h3>
              <FormattedMessage id="staff.reports.accountsChart" />
            </h3>
          </figcaption>
          <div className="chart">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={counts} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="currency" />
                <YAxis allowDecimals={false} tickFormatter={(v: number) => intl.formatNumber(v)} width={48} />
                <Tooltip formatter={(v) => intl.formatNumber(Number(v))} />
                <Legend />
                <Bar dataKey="active" name={label('accountStatus', 'active')} stackId="s" fill="#1d6b35" isAnimationActive={false} />
                <Bar dataKey="frozen" name={label('accountStatus', 'frozen')} stackId="s" fill="#a4161a" isAnimationActive={false} />
                <Bar dataKey="closed" name={label('accountStatus', 'closed')} stackId="s" fill="#8796a3" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </figure>
      )}
      <h3>
        <FormattedMessage id="staff.reports.byStatus" />
      </h3>
      <TableWrap label={intl.formatMessage({ id: 'staff.reports.byStatus' })}>
        <table>
          <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.reports.byStatus' })}</caption>
          <thead>
            <tr>
              <th scope="col">
                <FormattedMessage id="staff.field.currency" />
              </th>
              <th scope="col">
                <FormattedMessage id="staff.field.status" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.reports.accountsCount" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.field.balance" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.field.onHold" />
              </th>
            </tr>
          </thead>
          <tbody>
            {report.by_status.map((r) => (
              <tr key={`${r.currency}-${r.status}`}>
                <th scope="row">{r.currency}</th>
                <td>{label('accountStatus', r.status)}</td>
                <td className="num">{intl.formatNumber(r.accounts)}</td>
                <td className="num">
                  <Money minor={r.balance} currency={r.currency} />
                </td>
                <td className="num">
                  <Money minor={r.on_hold} currency={r.currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <h3>
        <FormattedMessage id="staff.reports.totals" />
      </h3>
      <p className="hint">
        <FormattedMessage id="staff.reports.totalsHint" />
      </p>
      <TableWrap label={intl.formatMessage({ id: 'staff.reports.totals' })}>
        <table>
          <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.reports.totals' })}</caption>
          <thead>
            <tr>
              <th scope="col">
                <FormattedMessage id="staff.field.currency" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.reports.customerBalance" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.reports.customerOnHold" />
              </th>
              <th scope="col" className="num">
                <FormattedMessage id="staff.reports.cashBalance" />
              </th>
            </tr>
          </thead>
          <tbody>
            {report.totals.map((t) => (
              <tr key={t.currency}>
                <th scope="row">{t.currency}</th>
                <td className="num">
                  <Money minor={t.customer_balance} currency={t.currency} />
                </td>
                <td className="num">
                  <Money minor={t.customer_on_hold} currency={t.currency} />
                </td>
                <td className="num">
                  <Money minor={t.cash_balance} currency={t.currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <h3>
        <FormattedMessage id="staff.reports.frozen" />
      </h3>
      {report.frozen.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="staff.reports.noFrozen" />
        </p>
      ) : (
        <TableWrap label={intl.formatMessage({ id: 'staff.reports.frozen' })}>
          <table>
            <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.reports.frozen' })}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="staff.field.accountNumber" />
                </th>
                <th scope="col" className="num">
                  <FormattedMessage id="staff.field.balance" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.reason" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.scope" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.since" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.freeze.until" />
                </th>
              </tr>
            </thead>
            <tbody>
              {report.frozen.map((f) => (
                <tr key={f.account_id}>
                  <th scope="row">
                    <AccountLink id={f.account_id}>
                      <AccountNumber value={f.number} />
                    </AccountLink>
                  </th>
                  <td className="num">
                    <Money minor={f.balance} currency={f.currency} />
                  </td>
                  <td>{label('freezeReason', f.reason)}</td>
                  <td>{label('freezeScope', f.scope)}</td>
                  <td>{f.since ? <DateTime value={f.since} /> : '—'}</td>
                  <td>{f.until ? <DateTime value={f.until} /> : <FormattedMessage id="staff.freeze.untilUnfrozen" />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

// LedgerCheck verifies the ledger's invariants on the live database, for admins.
function LedgerCheck() {
  const intl = useIntl();
  const check = useMutation({ mutationFn: async () => unwrap(await api.GET('/v1/admin/ledger-check')) });
  return (
    <Section
      title={intl.formatMessage({ id: 'staff.ledger.title' })}
      actions={
        <Button variant="secondary" busy={check.isPending} onClick={() => check.mutate()}>
          <FormattedMessage id="staff.ledger.check" />
        </Button>
      }
    >
      <p className="hint">
        <FormattedMessage id="staff.ledger.hint" />
      </p>
      {check.data &&
        (check.data.ok ? (
          <Alert kind="success">
            <FormattedMessage id="staff.ledger.ok" />
          </Alert>
        ) : (
          <Alert kind="error">
            <strong>
              <FormattedMessage id="staff.ledger.violations" values={{ n: check.data.violations.length }} />
            </strong>
            <ul>
              {check.data.violations.map((v) => (
                <li key={v}>{v}</li>
              ))}
            </ul>
          </Alert>
        ))}
      <ErrorMessage error={check.error} />
    </Section>
  );
}
