import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { useNavigate } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { session } from '../../api/session';
import { useMe } from '../../auth/SessionProvider';
import { Alert, Button, ErrorMessage, Field, Loading, Page, Select } from '../../ui/kit';

function Details() {
  const intl = useIntl();
  const me = useMe();
  const queries = useQueryClient();
  const [form, setForm] = useState({ full_name: me.full_name, phone: me.phone ?? '', locale: me.locale });
  const save = useMutation({
    mutationFn: async () =>
      unwrap(await api.PATCH('/v1/me', { body: { full_name: form.full_name, phone: form.phone.trim() || null, locale: form.locale } })),
    onSuccess: (user) => queries.setQueryData(['me'], user),
  });
  const field = (f: string) => (save.error instanceof ApiError ? save.error.field(f) : undefined);
  return (
    <form
      className="card form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
      aria-labelledby="details-h"
      noValidate
    >
      <h2 id="details-h">
        <FormattedMessage id="profile.details" />
      </h2>
      {save.isSuccess && (
        <Alert kind="success">
          <FormattedMessage id="saved" />
        </Alert>
      )}
      <ErrorMessage error={save.error instanceof ApiError && save.error.problem?.errors ? undefined : save.error} />
      <Field label={intl.formatMessage({ id: 'field.email' })} value={me.email} readOnly />
      <Field label={intl.formatMessage({ id: 'field.fullName' })} autoComplete="name" value={form.full_name} onChange={(e) => setForm({ ...form, full_name: e.target.value })} error={field('full_name')} />
      <Field label={intl.formatMessage({ id: 'field.phoneOptional' })} hint={intl.formatMessage({ id: 'field.phoneHint' })} type="tel" value={form.phone} onChange={(e) => setForm({ ...form, phone: e.target.value })} error={field('phone')} />
      <Select label={intl.formatMessage({ id: 'profile.emailLanguage' })} value={form.locale} onChange={(e) => setForm({ ...form, locale: e.target.value as typeof form.locale })}>
        <option value="es">Español</option>
        <option value="en">English</option>
      </Select>
      <Button type="submit" busy={save.isPending}>
        <FormattedMessage id="save" />
      </Button>
    </form>
  );
}

function Password() {
  const intl = useIntl();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/me/password', { body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const field = (f: string) => (change.error instanceof ApiError ? change.error.field(f) : undefined);
  return (
    <form
      className="card form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        change.mutate();
      }}
      aria-labelledby="password-h"
      noValidate
    >
      <h2 id="password-h">
        <FormattedMessage id="profile.password" />
      </h2>
      {change.isSuccess && (
        <Alert kind="success">
          <FormattedMessage id="profile.passwordChanged" />
        </Alert>
      )}
      <ErrorMessage error={change.error instanceof ApiError && change.error.problem?.errors ? undefined : change.error} />
      <Field label={intl.formatMessage({ id: 'profile.currentPassword' })} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={field('current_password')} />
      <Field
        label={intl.formatMessage({ id: 'field.newPassword' })}
        hint={intl.formatMessage({ id: 'field.passwordHint' })}
        type="password"
        autoComplete="new-password"
        value={next}
        onChange={(e) => setNext(e.target.value)}
        error={field('new_password')}
      />
      <Button type="submit" busy={change.isPending}>
        <FormattedMessage id="profile.changePassword" />
      </Button>
    </form>
  );
}

function EmailSettings() {
  const intl = useIntl();
  const queries = useQueryClient();
  const settings = useQuery({
    queryKey: ['notification-settings'],
    queryFn: async () => unwrap(await api.GET('/v1/me/notification-settings')),
  });
  const update = useMutation({
    mutationFn: async (change: Record<string, boolean>) => unwrap(await api.PATCH('/v1/me/notification-settings', { body: { email: change } })),
    onSuccess: (s) => queries.setQueryData(['notification-settings'], s),
  });
  return (
    <section className="card" aria-labelledby="emails-h">
      <h2 id="emails-h">
        <FormattedMessage id="profile.emails" />
      </h2>
      <ErrorMessage error={update.error} />
      {settings.isPending ? (
        <Loading />
      ) : settings.error ? (
        <ErrorMessage error={settings.error} />
      ) : (
        <fieldset className="settings">
          <legend className="visually-hidden">{intl.formatMessage({ id: 'profile.emails' })}</legend>
          {settings.data.items.map((s) => (
            <label key={s.kind} className="checkbox">
              <input type="checkbox" checked={s.email} disabled={!s.email_optional || update.isPending} onChange={(e) => update.mutate({ [s.kind]: e.target.checked })} />
              <FormattedMessage id={`notification.kind.${s.kind}`} />
              {!s.email_optional && (
                <span className="muted">
                  {' '}
                  (<FormattedMessage id="profile.alwaysEmailed" />)
                </span>
              )}
            </label>
          ))}
        </fieldset>
      )}
    </section>
  );
}

function SignOutEverywhere() {
  const navigate = useNavigate();
  const all = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/auth/logout-all')),
    onSuccess: () => {
      session.signedOut();
      navigate('/sign-in');
    },
  });
  return (
    <section className="card" aria-labelledby="everywhere-h">
      <h2 id="everywhere-h">
        <FormattedMessage id="profile.everywhere" />
      </h2>
      <p className="muted">
        <FormattedMessage id="profile.everywhereHint" />
      </p>
      <ErrorMessage error={all.error} />
      <Button variant="danger" busy={all.isPending} onClick={() => all.mutate()}>
        <FormattedMessage id="profile.everywhereButton" />
      </Button>
    </section>
  );
}

export default function Profile() {
  const intl = useIntl();
  return (
    <Page title={intl.formatMessage({ id: 'profile.title' })}>
      <div className="grid grid-wide">
        <Details />
        <Password />
        <EmailSettings />
        <SignOutEverywhere />
      </div>
    </Page>
  );
}
