import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useNavigate } from 'react-router';
import { bare } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import type { components } from '../../api/schema';
import { session } from '../../api/session';
import { useLocale } from '../../i18n/locale';
import { Alert, Button, ErrorMessage, Field, Page } from '../../ui/kit';
import { Steps, type Step } from '../../ui/Steps';

type Operation = components['schemas']['Operation'];

// Sign-up starts the registration operation and shows its progress as the API reports it; once it
// completes, the new customer is signed in with the password just typed.
export function SignUp() {
  const intl = useIntl();
  const { locale } = useLocale();
  const navigate = useNavigate();
  const [form, setForm] = useState({ full_name: '', email: '', password: '', phone: '' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [op, setOp] = useState<Operation>();
  const [signInFailed, setSignInFailed] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });
  const fieldError = (f: string) => (error instanceof ApiError ? error.field(f) : undefined);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      let current = unwrap(
        await bare.POST('/v1/auth/register', {
          body: { full_name: form.full_name, email: form.email, password: form.password, phone: form.phone.trim() || null, locale },
        }),
      );
      setOp(current);
      while (current.status === 'running') {
        current = unwrap(await bare.GET('/v1/operations/{id}', { params: { path: { id: current.id }, query: { wait: '10s' } } }));
        setOp(current);
      }
      if (current.status === 'completed') {
        const answer = await session.signIn(form.email, form.password);
        if (answer.ok) navigate('/accounts', { replace: true });
        else setSignInFailed(true);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const steps: Step[] = [
    { key: 'sent', label: intl.formatMessage({ id: 'signUp.step.sent' }), state: op ? 'done' : busy ? 'active' : 'todo' },
    {
      key: 'open',
      label: intl.formatMessage({ id: 'signUp.step.open' }),
      state: !op ? 'todo' : op.status === 'running' ? 'active' : op.status === 'completed' ? 'done' : 'failed',
    },
    { key: 'in', label: intl.formatMessage({ id: 'signUp.step.signIn' }), state: op?.status === 'completed' ? (signInFailed ? 'failed' : 'active') : 'todo' },
  ];

  return (
    <Page title={intl.formatMessage({ id: 'signUp.title' })}>
      {op ? (
        <section className="card" aria-live="polite">
          <h2>
            <FormattedMessage id="signUp.progress" />
          </h2>
          <Steps steps={steps} />
          <ErrorMessage error={error} />
          {op.status === 'failed' && op.error && <Alert>{op.error.detail ?? op.error.title}</Alert>}
          {signInFailed && (
            <Alert kind="info">
              <FormattedMessage id="signUp.checkEmail" /> <Link to="/sign-in"><FormattedMessage id="signIn.title" /></Link>
            </Alert>
          )}
        </section>
      ) : (
        <form onSubmit={submit} className="card form" noValidate>
          <ErrorMessage error={error} />
          <Field label={intl.formatMessage({ id: 'field.fullName' })} autoComplete="name" required value={form.full_name} onChange={set('full_name')} error={fieldError('full_name')} />
          <Field label={intl.formatMessage({ id: 'field.email' })} type="email" autoComplete="email" required value={form.email} onChange={set('email')} error={fieldError('email')} />
          <Field
            label={intl.formatMessage({ id: 'field.newPassword' })}
            hint={intl.formatMessage({ id: 'field.passwordHint' })}
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={form.password}
            onChange={set('password')}
            error={fieldError('password')}
          />
          <Field label={intl.formatMessage({ id: 'field.phoneOptional' })} hint={intl.formatMessage({ id: 'field.phoneHint' })} type="tel" autoComplete="tel" value={form.phone} onChange={set('phone')} error={fieldError('phone')} />
          <Button type="submit" busy={busy}>
            <FormattedMessage id="signUp.submit" />
          </Button>
          <p>
            <FormattedMessage id="signUp.have" /> <Link to="/sign-in"><FormattedMessage id="signIn.title" /></Link>
          </p>
        </form>
      )}
    </Page>
  );
}
