import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { currencyDigits, parseAmount, toDecimal, type AmountError } from '../../lib/money';
import { AccountNumber, groupNumber, Money } from '../../ui/format';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Select } from '../../ui/kit';
import { useAccounts } from './Dashboard';

// A payment to an account number: fill in, review, send. The review step is where the amount is
// final; its Idempotency-Key is made once per review, so a repeated click or a retried request sends
// the money once.
export default function SendMoney() {
  const intl = useIntl();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [params] = useSearchParams();
  const accounts = useAccounts();
  const active = (accounts.data ?? []).filter((a) => a.status === 'active');
  const [fromId, setFromId] = useState(params.get('from') ?? '');
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<{ to?: string; amount?: string }>({});
  const [review, setReview] = useState<{ minor: bigint; key: string }>();
  const from = active.find((a) => a.id === fromId) ?? active[0];
  const toNumber = to.replace(/[\s-]/g, '');

  const send = useMutation({
    mutationFn: async () => {
      if (!from || !review) throw new Error('nothing to send');
      return unwrap(
        await api.POST('/v1/transfers', {
          params: { header: { 'Idempotency-Key': review.key } },
          body: {
            from_account_id: from.id,
            to_account_number: toNumber,
            amount: toDecimal(review.minor, currencyDigits(from.currency)),
            currency: from.currency,
            ...(description.trim() ? { description: description.trim() } : {}),
          },
        }),
      );
    },
    onSuccess: (transfer) => {
      void queries.invalidateQueries({ queryKey: ['accounts'] });
      navigate(`/transfers/${transfer.id}`);
    },
  });

  function amountMessage(e: AmountError, currency: string): string {
    return intl.formatMessage({ id: `amount.${e}` }, { digits: currencyDigits(currency) });
  }

  function check(e: FormEvent) {
    e.preventDefault();
    if (!from) return;
    const next: typeof errors = {};
    if (!/^[1-9](\d{11}|\d{8})$/.test(toNumber)) next.to = intl.formatMessage({ id: 'send.toInvalid' });
    const parsed = parseAmount(amount, from.currency, intl.locale);
    if ('error' in parsed) next.amount = amountMessage(parsed.error, from.currency);
    else if (parsed.minor > from.available_balance) next.amount = intl.formatMessage({ id: 'send.moreThanAvailable' });
    setErrors(next);
    if (Object.keys(next).length === 0 && 'minor' in parsed) {
      send.reset();
      setReview({ minor: parsed.minor, key: crypto.randomUUID() });
    }
  }

  const apiField = (f: string) => (send.error instanceof ApiError ? send.error.field(f) : undefined);

  return (
    <Page title={intl.formatMessage({ id: review ? 'send.reviewTitle' : 'send.title' })}>
      {accounts.isPending ? (
        <Loading />
      ) : accounts.error ? (
        <ErrorMessage error={accounts.error} />
      ) : !from ? (
        <Alert kind="info">
          <FormattedMessage id="send.noActive" />
        </Alert>
      ) : review ? (
        <section className="card form" aria-live="polite">
          <ErrorMessage error={send.error} />
          <dl className="dl">
            <dt>
              <FormattedMessage id="send.from" />
            </dt>
            <dd>
              <AccountNumber value={from.number} />
            </dd>
            <dt>
              <FormattedMessage id="send.to" />
            </dt>
            <dd data-testid="review-to">
              <AccountNumber value={toNumber} />
            </dd>
            <dt>
              <FormattedMessage id="col.amount" />
            </dt>
            <dd className="balance" data-testid="review-amount">
              <Money minor={review.minor} currency={from.currency} />
            </dd>
            {description.trim() && (
              <>
                <dt>
                  <FormattedMessage id="col.description" />
                </dt>
                <dd>{description.trim()}</dd>
              </>
            )}
          </dl>
          <div className="row">
            <Button busy={send.isPending} onClick={() => send.mutate()}>
              <FormattedMessage id="send.confirm" />
            </Button>
            <Button variant="secondary" disabled={send.isPending} onClick={() => setReview(undefined)}>
              <FormattedMessage id="send.edit" />
            </Button>
          </div>
        </section>
      ) : (
        <form className="card form" onSubmit={check} noValidate>
          <Select label={intl.formatMessage({ id: 'send.from' })} value={from.id} onChange={(e) => setFromId(e.target.value)}>
            {active.map((a) => (
              <option key={a.id} value={a.id}>
                {groupNumber(a.number)} · {a.currency}
              </option>
            ))}
          </Select>
          <p className="muted">
            <FormattedMessage id="accounts.available" /> <Money minor={from.available_balance} currency={from.currency} />
          </p>
          <Field
            label={intl.formatMessage({ id: 'send.to' })}
            hint={intl.formatMessage({ id: 'send.toHint' })}
            inputMode="numeric"
            autoComplete="off"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            error={errors.to ?? apiField('to_account_number')}
          />
          <Field
            label={intl.formatMessage({ id: 'send.amount' }, { currency: from.currency })}
            hint={intl.formatMessage({ id: 'send.amountHint' }, { digits: currencyDigits(from.currency) })}
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={errors.amount ?? apiField('amount')}
          />
          <Field label={intl.formatMessage({ id: 'send.description' })} maxLength={140} value={description} onChange={(e) => setDescription(e.target.value)} />
          <Button type="submit">
            <FormattedMessage id="send.review" />
          </Button>
        </form>
      )}
    </Page>
  );
}
