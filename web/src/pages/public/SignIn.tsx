import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError, isProblem } from '../../api/problem';
import { session } from '../../api/session';
import { Button, ErrorMessage, Field, Page } from '../../ui/kit';

export function SignIn() {
  const intl = useIntl();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await session.signIn(email, password);
      if (!answer.ok) {
        setError(new ApiError(answer.status, isProblem(answer.problem) ? answer.problem : undefined));
        return;
      }
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from.startsWith('/') && !from.startsWith('//') ? from : '/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={intl.formatMessage({ id: 'signIn.title' })}>
      <form onSubmit={submit} className="card form" noValidate>
        <ErrorMessage error={error} />
        <Field label={intl.formatMessage({ id: 'field.email' })} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={intl.formatMessage({ id: 'field.password' })} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <Button type="submit" busy={busy}>
          <FormattedMessage id="signIn.submit" />
        </Button>
        <p>
          <FormattedMessage id="signIn.new" /> <Link to="/sign-up"><FormattedMessage id="signIn.signUp" /></Link>
        </p>
      </form>
    </Page>
  );
}
