import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode, type TextareaHTMLAttributes } from 'react';
import { FormattedMessage } from 'react-intl';
import { Link, useSearchParams } from 'react-router';
import { Badge, Button, ErrorMessage } from '../../ui/kit';
import { useLabel, type EnumGroup } from './labels';

// Paths of the staff console's pages.
export const to = {
  users: '/staff/users',
  user: (id: string) => `/staff/users/${encodeURIComponent(id)}`,
  account: (id: string) => `/staff/accounts/${encodeURIComponent(id)}`,
  transfers: (filters?: Record<string, string>) => withQuery('/staff/transfers', filters),
  transfer: (id: string) => `/staff/transfers/${encodeURIComponent(id)}`,
  approvals: '/staff/approvals',
  audit: (filters?: Record<string, string>) => withQuery('/staff/audit', filters),
};

function withQuery(path: string, filters?: Record<string, string>): string {
  const q = new URLSearchParams(filters).toString();
  return q ? `${path}?${q}` : path;
}

// compact leaves out the filters left empty: the API refuses an empty value where it expects, say,
// a uuid, and an empty filter means "any".
export function compact<T extends Record<string, string | number | undefined>>(values: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(values) as [keyof T, T[keyof T]][]) {
    if (v === undefined) continue;
    if (typeof v === 'string' && v.trim() === '') continue;
    out[k] = (typeof v === 'string' ? v.trim() : v) as T[keyof T];
  }
  return out;
}

// useUrlFilters keeps a list's filters in the page's address, so a search can be shared, bookmarked
// and gone back to. Only the names listed are read.
export function useUrlFilters<K extends string>(names: readonly K[]): [Record<K, string>, (next: Partial<Record<K, string>>) => void, string] {
  const [params, setParams] = useSearchParams();
  const key = names.map((n) => `${n}=${params.get(n) ?? ''}`).join('&');
  const values = {} as Record<K, string>;
  for (const n of names) values[n] = params.get(n) ?? '';
  const set = useCallback(
    (next: Partial<Record<K, string>>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(next) as [K, string | undefined][]) if (v && v.trim() !== '') p.set(k, v.trim());
      setParams(p);
    },
    [setParams],
  );
  return [values, set, key];
}

// shortId shows the start of a uuid, enough to tell ids apart on one screen; the link or the title
// carries the whole id.
const shortId = (id: string) => id.slice(0, 8);

export function UserLink({ id, children }: { id: string | null | undefined; children?: ReactNode }) {
  if (!id) return <span className="muted">—</span>;
  return (
    <Link to={to.user(id)} title={id}>
      {children ?? <code>{shortId(id)}</code>}
    </Link>
  );
}

export function AccountLink({ id, children }: { id: string | null | undefined; children?: ReactNode }) {
  if (!id) return <span className="muted">—</span>;
  return (
    <Link to={to.account(id)} title={id}>
      {children ?? <code>{shortId(id)}</code>}
    </Link>
  );
}

const tones: Partial<Record<EnumGroup, Record<string, 'ok' | 'warn' | 'bad' | 'neutral'>>> = {
  userStatus: { active: 'ok', pending: 'warn', disabled: 'bad' },
  accountStatus: { active: 'ok', frozen: 'bad', closed: 'neutral' },
  transferStatus: { completed: 'ok', pending: 'warn', failed: 'bad', compensated: 'bad' },
  freezeStatus: { active: 'bad', pending: 'warn', ended: 'neutral', failed: 'neutral' },
  approvalStatus: { pending: 'warn', approved: 'ok', rejected: 'bad', expired: 'neutral' },
  role: { admin: 'warn', support: 'neutral', client: 'neutral' },
};

// EnumBadge shows a status by its name, with a colour that only repeats what the words say.
export function EnumBadge({ group, value }: { group: EnumGroup; value: string }) {
  const label = useLabel();
  return <Badge tone={tones[group]?.[value] ?? 'neutral'}>{label(group, value)}</Badge>;
}

export function Section({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <div className="page-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

interface TextAreaProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

export function TextArea({ label, hint, error, id, ...rest }: TextAreaProps) {
  const auto = useId();
  const fid = id ?? auto;
  const describedBy = [hint ? `${fid}-hint` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      {hint && (
        <p className="hint" id={`${fid}-hint`}>
          {hint}
        </p>
      )}
      <textarea id={fid} rows={3} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...rest} />
      {error && (
        <p className="field-error" id={`${fid}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

// ActionForm is the form of one action in a dialog: its fields, the API's refusal if any, submit
// and cancel; once done, what came of it and a button to close. Put it inside a kit Dialog, which
// mounts its children when it opens: each opening starts afresh, with new state and a new
// idempotency key.
export function ActionForm({
  submitLabel,
  danger,
  busy,
  error,
  onSubmit,
  onClose,
  children,
  done,
}: {
  submitLabel: string;
  danger?: boolean;
  busy: boolean;
  error: unknown;
  onSubmit: () => void;
  onClose: () => void;
  children?: ReactNode;
  done?: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) onSubmit();
  };
  if (done) {
    return (
      <div className="form">
        {done}
        <div className="row">
          <Button onClick={onClose} autoFocus>
            <FormattedMessage id="staff.close" />
          </Button>
        </div>
      </div>
    );
  }
  return (
    <form className="form" onSubmit={submit} noValidate>
      {children}
      <ErrorMessage error={error} />
      <div className="row">
        <Button type="submit" variant={danger ? 'danger' : 'primary'} busy={busy}>
          {submitLabel}
        </Button>
        <Button variant="secondary" onClick={onClose}>
          <FormattedMessage id="staff.cancel" />
        </Button>
      </div>
    </form>
  );
}

// TableWrap lets a table wider than the screen scroll sideways; while it does, the wrapper is a
// named group that takes the focus, so the keyboard can scroll it too.
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    if (typeof ResizeObserver === 'undefined') return;
    const watch = new ResizeObserver(check);
    watch.observe(el);
    if (el.firstElementChild) watch.observe(el.firstElementChild);
    return () => watch.disconnect();
  }, []);
  return (
    <div ref={ref} className="table-wrap" tabIndex={scrolls ? 0 : undefined} role={scrolls ? 'group' : undefined} aria-label={scrolls ? label : undefined}>
      {children}
    </div>
  );
}
