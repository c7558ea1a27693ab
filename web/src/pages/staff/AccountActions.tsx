import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { useMe } from '../../auth/SessionProvider';
import { currencyDigits, parseAmount, toDecimal, type AmountError } from '../../lib/money';
import { Alert, Button, Dialog, Field, Select } from '../../ui/kit';
import { AccountNumber, Money } from '../../ui/format';
import { useCan } from './can';
import { useIdempotencyKey } from './idempotency';
import { enums, useLabel } from './labels';
import { ActionForm, TextArea, to } from './parts';
import { dateTimeInputToRFC3339, fromDateTimeInput } from './time';
import type { FreezeReason, FreezeScope, Operation, StaffAccountDetail, Transfer } from './types';

type AccountAction = 'freeze' | 'unfreeze' | 'deposit' | 'withdrawal';

const titles: Record<AccountAction, string> = {
  freeze: 'staff.account.freezeAction',
  unfreeze: 'staff.account.unfreezeAction',
  deposit: 'staff.account.deposit',
  withdrawal: 'staff.account.withdrawal',
};

// accountActions are the actions the signed-in admin may take on the account now: only on a
// customer's account that is not their own (the API refuses the rest), and only those its state
// allows.
type AccountStaffAction = 'freezeAccount' | 'unfreezeAccount' | 'createDeposit' | 'createWithdrawal';

export function accountActions(account: StaffAccountDetail, may: (a: AccountStaffAction) => boolean, me: string): AccountAction[] {
  if (account.kind !== 'customer' || account.user_id === me || account.status === 'closed') return [];
  const out: AccountAction[] = [];
  const freeze = account.freeze;
  if (may('createDeposit') && !(freeze && freeze.scope === 'full')) out.push('deposit');
  if (may('createWithdrawal') && account.status === 'active' && !freeze) out.push('withdrawal');
  if (may('freezeAccount') && !freeze && account.status === 'active') out.push('freeze');
  if (may('unfreezeAccount') && freeze?.status === 'active') out.push('unfreeze');
  return out;
}

export function AccountActions({ account }: { account: StaffAccountDetail }) {
  const intl = useIntl();
  const can = useCan();
  const me = useMe();
  const [open, setOpen] = useState<AccountAction | undefined>();
  const close = () => setOpen(undefined);
  const actions = accountActions(account, can, me.id);
  if (actions.length === 0 && open === undefined) return null;
  return (
    <>
      {actions.map((a) => (
        <Button key={a} variant={a === 'freeze' ? 'danger' : 'secondary'} onClick={() => setOpen(a)}>
          <FormattedMessage id={titles[a]} />
        </Button>
      ))}
      <Dialog open={open !== undefined} title={open ? intl.formatMessage({ id: titles[open] }) : ''} onClose={close}>
        {open === 'freeze' && <FreezeForm account={account} onClose={close} />}
        {open === 'unfreeze' && <UnfreezeForm account={account} onClose={close} />}
        {(open === 'deposit' || open === 'withdrawal') && <CashForm kind={open} account={account} onClose={close} />}
      </Dialog>
    </>
  );
}

// useAccountChanged refreshes what an action on the account changes.
function useAccountChanged(id: string) {
  const queries = useQueryClient();
  const changed = [
    ['staff', 'account', id],
    ['staff', 'freezes', id],
    ['staff', 'statement', id],
    ['staff', 'transfers'],
    ['staff', 'approvals'],
    ['staff', 'audit'],
    ['staff', 'reports'],
    ['staff', 'user'],
  ];
  return () => Promise.all(changed.map((queryKey) => queries.invalidateQueries({ queryKey })));
}

interface FormProps {
  account: StaffAccountDetail;
  onClose: () => void;
}

const noteMax = 500;

function FreezeForm({ account, onClose }: FormProps) {
  const intl = useIntl();
  const label = useLabel();
  const changed = useAccountChanged(account.id);
  const keys = useIdempotencyKey();
  const [reason, setReason] = useState<FreezeReason>('suspected_fraud');
  const [scope, setScope] = useState<FreezeScope>('full');
  const [note, setNote] = useState('');
  const [until, setUntil] = useState('');
  const [errors, setErrors] = useState<{ note?: string; until?: string }>({});
  const freeze = useMutation({
    mutationFn: async (body: { reason: FreezeReason; scope: FreezeScope; note?: string; until?: string }) => {
      const request = JSON.stringify(body);
      const key = keys.next(request);
      try {
        const data = unwrap(await api.POST('/v1/admin/accounts/{id}/freeze', { params: { path: { id: account.id }, header: { 'Idempotency-Key': key } }, body }));
        keys.record(key, request, undefined);
        return data;
      } catch (err) {
        keys.record(key, request, err);
        throw err;
      }
    },
    onSuccess: changed,
  });
  const submit = () => {
    const found: typeof errors = {};
    const text = note.trim();
    if (reason === 'other' && text === '') found.note = intl.formatMessage({ id: 'staff.freeze.noteRequired' });
    let end: string | undefined;
    if (until !== '') {
      const d = fromDateTimeInput(until);
      if (!d) found.until = intl.formatMessage({ id: 'staff.error.time' });
      else if (d.getTime() <= Date.now()) found.until = intl.formatMessage({ id: 'staff.freeze.untilPast' });
      else end = dateTimeInputToRFC3339(until);
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    freeze.mutate({ reason, scope, ...(text ? { note: text } : {}), ...(end ? { until: end } : {}) });
  };
  const apiError = freeze.error instanceof ApiError ? freeze.error : undefined;
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.freeze.submit' })}
      danger
      busy={freeze.isPending}
      error={freeze.error}
      onSubmit={submit}
      onClose={onClose}
      done={
        freeze.data && (
          <Alert kind="success">
            <FormattedMessage id="staff.freeze.started" values={{ number: <AccountNumber value={account.number} /> }} />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id="staff.freeze.hint" />
      </p>
      <Select
        label={intl.formatMessage({ id: 'staff.freeze.reason' })}
        value={reason}
        onChange={(e) => setReason(e.target.value as FreezeReason)}
        error={apiError?.field('reason')}
      >
        {enums.freezeReason.map((r) => (
          <option key={r} value={r}>
            {label('freezeReason', r)}
          </option>
        ))}
      </Select>
      <Select label={intl.formatMessage({ id: 'staff.freeze.scope' })} value={scope} onChange={(e) => setScope(e.target.value as FreezeScope)} error={apiError?.field('scope')}>
        {enums.freezeScope.map((s) => (
          <option key={s} value={s}>
            {intl.formatMessage({ id: `staff.freezeScopeLong.${s}` })}
          </option>
        ))}
      </Select>
      <TextArea
        label={intl.formatMessage({ id: reason === 'other' ? 'staff.freeze.noteLabel' : 'staff.freeze.noteLabelOptional' })}
        hint={intl.formatMessage({ id: 'staff.freeze.noteHint' })}
        value={note}
        maxLength={noteMax}
        required={reason === 'other'}
        onChange={(e) => setNote(e.target.value)}
        error={errors.note ?? apiError?.field('note')}
      />
      <Field
        label={intl.formatMessage({ id: 'staff.freeze.untilLabel' })}
        hint={intl.formatMessage({ id: 'staff.freeze.untilHint' })}
        type="datetime-local"
        value={until}
        onChange={(e) => setUntil(e.target.value)}
        error={errors.until ?? apiError?.field('until')}
      />
    </ActionForm>
  );
}

function UnfreezeForm({ account, onClose }: FormProps) {
  const intl = useIntl();
  const changed = useAccountChanged(account.id);
  const [note, setNote] = useState('');
  const [missing, setMissing] = useState(false);
  const unfreeze = useMutation({
    mutationFn: async (text: string) => unwrap(await api.POST('/v1/admin/accounts/{id}/unfreeze', { params: { path: { id: account.id } }, body: { note: text } })),
    onSuccess: changed,
  });
  const submit = () => {
    const text = note.trim();
    setMissing(text === '');
    if (text !== '') unfreeze.mutate(text);
  };
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.unfreeze.submit' })}
      busy={unfreeze.isPending}
      error={unfreeze.error}
      onSubmit={submit}
      onClose={onClose}
      done={
        unfreeze.data && (
          <Alert kind="success">
            <FormattedMessage id="staff.unfreeze.done" values={{ number: <AccountNumber value={account.number} /> }} />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id="staff.unfreeze.hint" />
      </p>
      <TextArea
        label={intl.formatMessage({ id: 'staff.unfreeze.note' })}
        value={note}
        required
        maxLength={noteMax}
        onChange={(e) => setNote(e.target.value)}
        error={missing ? intl.formatMessage({ id: 'staff.unfreeze.noteRequired' }) : unfreeze.error instanceof ApiError ? unfreeze.error.field('note') : undefined}
      />
    </ActionForm>
  );
}

// isTransfer tells the two answers of a deposit or withdrawal apart: the transfer it started, or
// the approval it waits for.
export function isTransfer(answer: Transfer | Operation): answer is Transfer {
  return 'steps' in answer;
}

function CashForm({ kind, account, onClose }: FormProps & { kind: 'deposit' | 'withdrawal' }) {
  const intl = useIntl();
  const changed = useAccountChanged(account.id);
  const keys = useIdempotencyKey();
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [amountError, setAmountError] = useState<AmountError | undefined>();
  const move = useMutation({
    mutationFn: async ({ body, minor }: { body: { amount: string; currency: string; description?: string }; minor: bigint }) => {
      const request = JSON.stringify(body);
      const key = keys.next(request);
      const opts = { params: { path: { id: account.id }, header: { 'Idempotency-Key': key } }, body };
      try {
        const answer = kind === 'deposit' ? await api.POST('/v1/admin/accounts/{id}/deposits', opts) : await api.POST('/v1/admin/accounts/{id}/withdrawals', opts);
        const data = unwrap(answer);
        keys.record(key, request, undefined);
        return { data, minor, replayed: answer.response.headers.get('Idempotent-Replayed') === 'true' };
      } catch (err) {
        keys.record(key, request, err);
        throw err;
      }
    },
    onSuccess: changed,
  });
  const submit = () => {
    const parsed = parseAmount(amount, account.currency, intl.locale);
    if ('error' in parsed) {
      setAmountError(parsed.error);
      return;
    }
    setAmountError(undefined);
    const text = description.trim();
    move.mutate({
      body: { amount: toDecimal(parsed.minor, currencyDigits(account.currency)), currency: account.currency, ...(text ? { description: text } : {}) },
      minor: parsed.minor,
    });
  };
  const apiError = move.error instanceof ApiError ? move.error : undefined;
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: `staff.cash.${kind}Submit` })}
      busy={move.isPending}
      error={move.error}
      onSubmit={submit}
      onClose={onClose}
      done={move.data && <CashOutcome kind={kind} account={account} minor={move.data.minor} answer={move.data.data} replayed={move.data.replayed} />}
    >
      <p>
        <FormattedMessage
          id={`staff.cash.${kind}Hint`}
          values={{ number: <AccountNumber value={account.number} />, available: <Money minor={account.available_balance} currency={account.currency} /> }}
        />
      </p>
      <Field
        label={intl.formatMessage({ id: 'staff.cash.amount' }, { currency: account.currency })}
        inputMode="decimal"
        autoComplete="off"
        required
        value={amount}
        onChange={(e) => setAmount(e.target.value)}
        error={amountError ? intl.formatMessage({ id: `staff.amount.${amountError}` }) : apiError?.field('amount')}
      />
      <Field
        label={intl.formatMessage({ id: 'staff.field.descriptionOptional' })}
        maxLength={140}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={apiError?.field('description')}
      />
      {apiError?.code === 'idempotency_key_reused' && (
        <Alert kind="warning">
          <FormattedMessage id="staff.cash.keyReused" />
        </Alert>
      )}
    </ActionForm>
  );
}

interface CashOutcomeProps {
  kind: 'deposit' | 'withdrawal';
  account: StaffAccountDetail;
  minor: bigint;
  answer: Transfer | Operation;
  replayed: boolean;
}

function CashOutcome({ kind, account, minor, answer, replayed }: CashOutcomeProps) {
  const money = <Money minor={minor} currency={account.currency} />;
  return (
    <>
      {isTransfer(answer) ? (
        <Alert kind="success">
          <FormattedMessage id={`staff.cash.${kind}Started`} values={{ amount: money }} />{' '}
          <Link to={to.transfer(answer.id)}>
            <FormattedMessage id="staff.cash.follow" />
          </Link>
        </Alert>
      ) : (
        <Alert kind="warning">
          <FormattedMessage id="staff.cash.needsApproval" values={{ amount: money }} />{' '}
          <Link to={to.approvals}>
            <FormattedMessage id="staff.cash.approvals" />
          </Link>
        </Alert>
      )}
      {replayed && (
        <p className="hint">
          <FormattedMessage id="staff.cash.replayed" />
        </p>
      )}
    </>
  );
}
