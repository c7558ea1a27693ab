import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { bare } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { Alert, Button, ErrorMessage, Field, Page } from '../../ui/kit';

// SetPassword is where an invitation's link lands: its token is in the URL's fragment, which the
// browser never sends to any server.
export function SetPassword() {
  const intl = useIntl();
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token') ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      unwrap(await bare.POST('/v1/auth/password-setup', { body: { token, password } }));
      history.replaceState(null, '', location.pathname);
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title={intl.formatMessage({ id: 'setPassword.title' })}>
      {done ? (
        <Alert kind="success">
          <FormattedMessage id="setPassword.done" /> <Link to="/sign-in"><FormattedMessage id="signIn.title" /></Link>
        </Alert>
      ) : !token ? (
        <Alert>
          <FormattedMessage id="setPassword.noToken" />
        </Alert>
      ) : (
        <form onSubmit={submit} className="card form" noValidate>
          <ErrorMessage error={error instanceof ApiError && error.field('password') ? undefined : error} />
          <Field
            label={intl.formatMessage({ id: 'field.newPassword' })}
            hint={intl.formatMessage({ id: 'field.passwordHint' })}
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={error instanceof ApiError ? error.field('password') : undefined}
          />
          <Button type="submit" busy={busy}>
            <FormattedMessage id="setPassword.submit" />
          </Button>
        </form>
      )}
    </Page>
  );
}
