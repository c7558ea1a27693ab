import { useQuery } from '@tanstack/react-query';
import { FormattedMessage, useIntl } from 'react-intl';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { api } from '../api/client';
import { unwrap } from '../api/problem';
import { isStaff, useSession } from '../auth/SessionProvider';
import { useLocale } from '../i18n/locale';
import { locales, type Locale } from '../i18n/messages';
import { useLiveState } from '../live/LiveProvider';

export function LanguageSwitch() {
  const { locale, setLocale } = useLocale();
  const intl = useIntl();
  return (
    <div className="lang-switch" role="group" aria-label={intl.formatMessage({ id: 'lang.label' })}>
      {locales.map((l: Locale) => (
        <button key={l} type="button" lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
          {l === 'es' ? 'Español' : 'English'}
        </button>
      ))}
    </div>
  );
}

function UnreadBadge() {
  const intl = useIntl();
  const { data } = useQuery({
    queryKey: ['notifications', 'unread-count'],
    queryFn: async () => unwrap(await api.GET('/v1/me/notifications', { params: { query: { unread: true, limit: 1 } } })),
  });
  const n = data ? Number(data.unread_count) : 0;
  return (
    <NavLink to="/notifications" className="nav-notifications">
      <FormattedMessage id="nav.notifications" />
      {n > 0 && (
        <span className="count" data-testid="unread-count" aria-label={intl.formatMessage({ id: 'nav.unread' }, { n })}>
          {n}
        </span>
      )}
    </NavLink>
  );
}

function LiveDot() {
  const s = useLiveState();
  const intl = useIntl();
  const label = intl.formatMessage({ id: `live.${s}` });
  return <span className={`live-dot live-${s}`} title={label} role="img" aria-label={label} />;
}

export function Layout() {
  const { me, signOut } = useSession();
  const navigate = useNavigate();
  const staff = isStaff(me?.role);
  return (
    <>
      <a className="skip-link" href="#main">
        <FormattedMessage id="skip" />
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          <FormattedMessage id="app.name" />
        </NavLink>
        <nav aria-label={useIntl().formatMessage({ id: 'nav.label' })} className="mainnav">
          {staff ? (
            <>
              <NavLink to="/staff/users">
                <FormattedMessage id="nav.staff.users" />
              </NavLink>
              <NavLink to="/staff/transfers">
                <FormattedMessage id="nav.staff.transfers" />
              </NavLink>
              <NavLink to="/staff/approvals">
                <FormattedMessage id="nav.staff.approvals" />
              </NavLink>
              <NavLink to="/staff/reports">
                <FormattedMessage id="nav.staff.reports" />
              </NavLink>
              <NavLink to="/staff/audit">
                <FormattedMessage id="nav.staff.audit" />
              </NavLink>
            </>
          ) : (
            <>
              <NavLink to="/accounts" end>
                <FormattedMessage id="nav.accounts" />
              </NavLink>
              <NavLink to="/send">
                <FormattedMessage id="nav.send" />
              </NavLink>
            </>
          )}
          <UnreadBadge />
          <NavLink to="/profile">
            <FormattedMessage id="nav.profile" />
          </NavLink>
        </nav>
        <div className="topbar-end">
          <LiveDot />
          <LanguageSwitch />
          <button
            type="button"
            className="btn btn-link"
            onClick={() => {
              void signOut().then(() => navigate('/sign-in'));
            }}
          >
            <FormattedMessage id="nav.signOut" />
          </button>
        </div>
      </header>
      <main id="main" className="content">
        <Outlet />
      </main>
    </>
  );
}

// PublicLayout frames the pages before sign-in.
export function PublicLayout() {
  return (
    <>
      <a className="skip-link" href="#main">
        <FormattedMessage id="skip" />
      </a>
      <header className="topbar">
        <span className="brand">
          <FormattedMessage id="app.name" />
        </span>
        <div className="topbar-end">
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" className="content content-narrow">
        <Outlet />
      </main>
    </>
  );
}
