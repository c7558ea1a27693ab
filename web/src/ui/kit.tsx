import { useEffect, useId, useRef, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { ApiError } from '../api/problem';

// The app's components are plain HTML elements with the app's CSS: native inputs, buttons, tables
// and dialogs are keyboard-usable and labelled for screen readers without a library.

export function usePageTitle(title: string) {
  const intl = useIntl();
  useEffect(() => {
    document.title = `${title} · ${intl.formatMessage({ id: 'app.name' })}`;
  }, [title, intl]);
}

// Page is a main page: its heading takes the focus after navigation, so a screen reader announces
// where the user now is.
export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  usePageTitle(title);
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    h.current?.focus();
  }, [title]);
  return (
    <>
      <div className="page-head">
        <h1 ref={h} tabIndex={-1}>
          {title}
        </h1>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
      {children}
    </>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
}

export function Field({ label, error, hint, id, ...input }: FieldProps) {
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
      <input id={fid} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {error && (
        <p className="field-error" id={`${fid}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  error?: string | undefined;
  children: ReactNode;
}

export function Select({ label, error, id, children, ...select }: SelectProps) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={fid}>{label}</label>
      <select id={fid} aria-invalid={error ? true : undefined} aria-describedby={error ? `${fid}-error` : undefined} {...select}>
        {children}
      </select>
      {error && (
        <p className="field-error" id={`${fid}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Button({ variant = 'primary', busy, children, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' | 'link'; busy?: boolean }) {
  return (
    <button type="button" className={`btn btn-${variant}`} aria-busy={busy || undefined} disabled={busy || rest.disabled} {...rest}>
      {children}
    </button>
  );
}

// Alert announces its message to screen readers as it appears.
export function Alert({ kind = 'error', children }: { kind?: 'error' | 'success' | 'info' | 'warning'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

// ErrorMessage explains a failed request in words: the API's own detail when it gave one.
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <Alert>
        <strong>{p?.title ?? <FormattedMessage id="error.generic" />}</strong>
        {p?.detail && <span> {p.detail}</span>}
        {p?.errors && p.errors.length > 0 && (
          <ul>
            {p.errors.map((e) => (
              <li key={e.field + e.message}>
                <code>{e.field}</code> {e.message}
              </li>
            ))}
          </ul>
        )}
      </Alert>
    );
  }
  return (
    <Alert>
      <FormattedMessage id="error.network" />
    </Alert>
  );
}

export function Loading() {
  return (
    <p className="loading" role="status">
      <FormattedMessage id="loading" />
    </p>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'neutral'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

// Dialog is a modal native <dialog>: the browser traps the focus, Escape closes it.
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const tid = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal?.();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={tid} onClose={onClose} className="dialog">
      <h2 id={tid}>{title}</h2>
      {open && children}
    </dialog>
  );
}

// Pager moves through cursor-paged lists: the cursors seen so far make "previous" possible.
export function Pager({ hasPrev, next, onPrev, onNext }: { hasPrev: boolean; next: string | null | undefined; onPrev: () => void; onNext: () => void }) {
  const intl = useIntl();
  if (!hasPrev && !next) return null;
  return (
    <nav className="pager" aria-label={intl.formatMessage({ id: 'pager.label' })}>
      <Button variant="secondary" disabled={!hasPrev} onClick={onPrev}>
        <FormattedMessage id="pager.prev" />
      </Button>
      <Button variant="secondary" disabled={!next} onClick={onNext}>
        <FormattedMessage id="pager.next" />
      </Button>
    </nav>
  );
}
