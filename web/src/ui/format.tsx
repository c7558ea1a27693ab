import { useIntl } from 'react-intl';
import { formatMoney } from '../lib/money';

// Money shows an amount of minor units in the chosen locale.
export function Money({ minor, currency, signed }: { minor: bigint; currency: string; signed?: boolean }) {
  const { locale } = useIntl();
  const text = formatMoney(minor, currency, locale, { signed: signed ?? false });
  return <span className={`money${signed && minor < 0n ? ' money-out' : signed && minor > 0n ? ' money-in' : ''}`}>{text}</span>;
}

export function DateTime({ value, dateOnly }: { value: string; dateOnly?: boolean }) {
  const intl = useIntl();
  const d = new Date(value);
  const text = dateOnly
    ? intl.formatDate(d, { dateStyle: 'medium' })
    : intl.formatDate(d, { dateStyle: 'medium', timeStyle: 'short' });
  return <time dateTime={value}>{text}</time>;
}

// Account numbers are read in groups of three, as people read them aloud.
export function groupNumber(n: string): string {
  return /^\d+$/.test(n) ? n.replace(/(\d{3})(?=\d)/g, '$1 ') : n;
}

export function AccountNumber({ value }: { value: string }) {
  return <span className="account-number">{groupNumber(value)}</span>;
}
