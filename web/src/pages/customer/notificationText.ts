import type { IntlShape } from 'react-intl';
import type { components } from '../../api/schema';
import { formatMoney } from '../../lib/money';
import { groupNumber } from '../../ui/format';

export type Notification = components['schemas']['Notification'];

// notificationText writes a notification in the reader's language from its kind and details, as
// its email is written; one stored before details were kept keeps the API's own (English) words.
export function notificationText(n: Notification, intl: IntlShape): { title: string; body: string } {
  const d = n.details;
  const titleId = `note.${n.kind}.title`;
  if (!d || !intl.messages[titleId]) return { title: n.title, body: n.body };
  const when = (t: string | undefined) => (t ? intl.formatDate(new Date(t), { dateStyle: 'medium', timeStyle: 'short' }) : '');
  const known = (id: string, fallback: string) => (intl.messages[id] ? intl.formatMessage({ id }) : fallback);
  const values = {
    amount: d.amount !== undefined && d.currency ? formatMoney(d.amount, d.currency, intl.locale) : '',
    currency: d.currency ?? '',
    account: d.account ? groupNumber(d.account) : '',
    counterparty: d.counterparty ? groupNumber(d.counterparty) : '',
    reason: d.failure_code ? known(`staff.code.${d.failure_code}`, d.failure_code) : '',
    freezeReason: d.freeze_reason ? known(`freeze.reason.${d.freeze_reason}`, '') : '',
    until: when(d.until),
    hasUntil: d.until ? 'yes' : 'no',
    stops: d.stops_credits ? 'yes' : 'no',
    at: when(d.at),
    device: d.device ?? '',
    network: d.network ?? '',
    role: d.role ? known(`staff.role.${d.role}`, d.role) : '',
    hours: d.valid_hours ?? 0,
  };
  return { title: intl.formatMessage({ id: titleId }, values), body: intl.formatMessage({ id: `note.${n.kind}.body` }, values) };
}
