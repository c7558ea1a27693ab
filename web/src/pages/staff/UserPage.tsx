import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { useMe } from '../../auth/SessionProvider';
import { Alert, Button, Dialog, ErrorMessage, Loading, Page, Select } from '../../ui/kit';
import { AccountNumber, DateTime, Money } from '../../ui/format';
import { RecentAudit } from './AuditLog';
import { useCan } from './can';
import { enums, useLabel } from './labels';
import { ActionForm, EnumBadge, Section, TableWrap, TextArea, to } from './parts';
import { TransferTable } from './Transfers';
import { isLocked, LoginState } from './Users';
import type { Role, StaffTransfer, StaffUserDetail } from './types';

// UserPage shows one user as staff see them: profile, login state, accounts and recent activity,
// with the actions the signed-in role may take.
export function UserPage() {
  const { id = '' } = useParams();
  const intl = useIntl();
  const { data: user, error, isPending } = useQuery({
    queryKey: ['staff', 'user', id],
    queryFn: async () => unwrap(await api.GET('/v1/admin/users/{id}', { params: { path: { id } } })),
  });
  if (isPending) return <Loading />;
  if (error) {
    return (
      <Page title={intl.formatMessage({ id: 'staff.user.title' })}>
        <ErrorMessage error={error} />
      </Page>
    );
  }
  return (
    <Page title={user.full_name || user.email} actions={<UserActions user={user} />}>
      <Section title={intl.formatMessage({ id: 'staff.user.profile' })}>
        <Profile user={user} />
      </Section>
      <Section title={intl.formatMessage({ id: 'staff.user.accounts' })}>
        <UserAccounts user={user} />
      </Section>
      {user.accounts.length > 0 && <RecentTransfers user={user} />}
      <RecentAudit title={intl.formatMessage({ id: 'staff.user.about' })} filter={{ subject_user_id: user.id }} />
      {user.role !== 'client' && <RecentAudit title={intl.formatMessage({ id: 'staff.user.by' })} filter={{ actor_id: user.id }} />}
    </Page>
  );
}

function Profile({ user }: { user: StaffUserDetail }) {
  const label = useLabel();
  return (
    <dl className="dl">
      <dt>
        <FormattedMessage id="staff.field.email" />
      </dt>
      <dd>{user.email}</dd>
      <dt>
        <FormattedMessage id="staff.field.phone" />
      </dt>
      <dd>{user.phone ?? <span className="muted">—</span>}</dd>
      <dt>
        <FormattedMessage id="staff.field.role" />
      </dt>
      <dd>
        <EnumBadge group="role" value={user.role} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.status" />
      </dt>
      <dd>
        <EnumBadge group="userStatus" value={user.status} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.login" />
      </dt>
      <dd>
        <LoginState user={user} />
      </dd>
      <dt>
        <FormattedMessage id="staff.user.sessions" />
      </dt>
      <dd>
        <FormattedMessage id="staff.user.sessionsCount" values={{ n: user.live_sessions }} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.locale" />
      </dt>
      <dd>{label('locale', user.locale)}</dd>
      <dt>
        <FormattedMessage id="staff.field.createdAt" />
      </dt>
      <dd>
        <DateTime value={user.created_at} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.updatedAt" />
      </dt>
      <dd>
        <DateTime value={user.updated_at} />
      </dd>
      <dt>
        <FormattedMessage id="staff.field.id" />
      </dt>
      <dd>
        <code>{user.id}</code>
      </dd>
    </dl>
  );
}

function UserAccounts({ user }: { user: StaffUserDetail }) {
  const intl = useIntl();
  if (user.accounts.length === 0) {
    return (
      <p className="muted">
        <FormattedMessage id="staff.user.noAccounts" />
      </p>
    );
  }
  return (
    <TableWrap label={intl.formatMessage({ id: 'staff.user.accounts' })}>
      <table>
        <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.user.accounts' })}</caption>
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="staff.field.accountNumber" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.status" />
            </th>
            <th scope="col" className="num">
              <FormattedMessage id="staff.field.balance" />
            </th>
            <th scope="col" className="num">
              <FormattedMessage id="staff.field.available" />
            </th>
            <th scope="col" className="num">
              <FormattedMessage id="staff.field.onHold" />
            </th>
            <th scope="col">
              <FormattedMessage id="staff.field.createdAt" />
            </th>
          </tr>
        </thead>
        <tbody>
          {user.accounts.map((a) => (
            <tr key={a.id}>
              <th scope="row">
                <Link to={to.account(a.id)}>
                  <AccountNumber value={a.number} />
                </Link>{' '}
                <span className="muted">{a.currency}</span>
              </th>
              <td>
                <EnumBadge group="accountStatus" value={a.status} />
              </td>
              <td className="num">
                <Money minor={a.balance} currency={a.currency} />
              </td>
              <td className="num">
                <Money minor={a.available_balance} currency={a.currency} />
              </td>
              <td className="num">
                <Money minor={a.on_hold} currency={a.currency} />
              </td>
              <td>
                <DateTime value={a.created_at} dateOnly />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

const recentPerAccount = 10;

// RecentTransfers merges the latest transfers of each of the user's accounts, newest first: the API
// filters transfers by one account at a time.
function RecentTransfers({ user }: { user: StaffUserDetail }) {
  const intl = useIntl();
  const results = useQueries({
    queries: user.accounts.map((a) => {
      const query = { account_id: a.id, limit: recentPerAccount };
      return {
        queryKey: ['staff', 'transfers', query],
        queryFn: async () => unwrap(await api.GET('/v1/admin/transfers', { params: { query } })),
      };
    }),
  });
  const error = results.find((r) => r.error)?.error;
  const pending = results.some((r) => r.isPending);
  const seen = new Set<string>();
  const items: StaffTransfer[] = [];
  for (const r of results) {
    for (const t of r.data?.items ?? []) {
      if (!seen.has(t.id)) {
        seen.add(t.id);
        items.push(t);
      }
    }
  }
  items.sort((a, b) => b.created_at.localeCompare(a.created_at));
  const title = intl.formatMessage({ id: 'staff.user.transfers' });
  return (
    <Section title={title}>
      {pending ? <Loading /> : error ? <ErrorMessage error={error} /> : <TransferTable items={items.slice(0, recentPerAccount)} caption={title} />}
      {user.accounts.length > 0 && (
        <p>
          <FormattedMessage id="staff.user.transfersOf" />{' '}
          {user.accounts.map((a, i) => (
            <span key={a.id}>
              {i > 0 && ', '}
              <Link to={to.transfers({ account_id: a.id, account_number: a.number })}>
                <AccountNumber value={a.number} />
              </Link>
            </span>
          ))}
        </p>
      )}
    </Section>
  );
}

type UserAction = 'role' | 'disable' | 'enable' | 'unlock' | 'welcome';

const titles: Record<UserAction, string> = {
  role: 'staff.user.changeRole',
  disable: 'staff.user.disable',
  enable: 'staff.user.enable',
  unlock: 'staff.user.unlock',
  welcome: 'staff.user.welcome',
};

// UserActions holds the buttons of the actions the signed-in role may take on this user; the
// contract's x-roles decide (see can.ts), and nobody changes their own role or disables themselves.
function UserActions({ user }: { user: StaffUserDetail }) {
  const intl = useIntl();
  const can = useCan();
  const me = useMe();
  const [open, setOpen] = useState<UserAction | undefined>();
  const self = me.id === user.id;
  const close = () => setOpen(undefined);
  const buttons: UserAction[] = [];
  if (can('changeRole') && !self) buttons.push('role');
  if (can('unlockLogin') && (isLocked(user) || user.failed_logins > 0)) buttons.push('unlock');
  // Only users who registered have a welcome email; staff an admin invited do not.
  if (can('resendWelcome') && user.role === 'client') buttons.push('welcome');
  if (can('enableUser') && user.status === 'disabled') buttons.push('enable');
  if (can('disableUser') && !self && user.status !== 'disabled') buttons.push('disable');
  if (buttons.length === 0 && open === undefined) return null;
  return (
    <>
      {buttons.map((a) => (
        <Button key={a} variant={a === 'disable' ? 'danger' : 'secondary'} onClick={() => setOpen(a)}>
          <FormattedMessage id={titles[a]} />
        </Button>
      ))}
      <Dialog open={open !== undefined} title={open ? intl.formatMessage({ id: titles[open] }) : ''} onClose={close}>
        {open === 'role' && <RoleForm user={user} onClose={close} />}
        {open === 'disable' && <StatusForm user={user} action="disable" onClose={close} />}
        {open === 'enable' && <StatusForm user={user} action="enable" onClose={close} />}
        {open === 'unlock' && <UnlockForm user={user} onClose={close} />}
        {open === 'welcome' && <WelcomeForm user={user} onClose={close} />}
      </Dialog>
    </>
  );
}

// useUserChanged refreshes what an action on the user changes: the user, the lists and the audit log.
function useUserChanged(id: string) {
  const queries = useQueryClient();
  return () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['staff', 'user', id] }),
      queries.invalidateQueries({ queryKey: ['staff', 'users'] }),
      queries.invalidateQueries({ queryKey: ['staff', 'audit'] }),
    ]);
}

interface FormProps {
  user: StaffUserDetail;
  onClose: () => void;
}

function RoleForm({ user, onClose }: FormProps) {
  const intl = useIntl();
  const label = useLabel();
  const changed = useUserChanged(user.id);
  const [role, setRole] = useState<Role>(user.role);
  const change = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/admin/users/{id}/role', { params: { path: { id: user.id } }, body: { role } })),
    onSuccess: changed,
  });
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.user.changeRoleSubmit' })}
      busy={change.isPending}
      error={change.error}
      onSubmit={() => change.mutate()}
      onClose={onClose}
      done={
        change.data && (
          <Alert kind="success">
            <FormattedMessage id="staff.user.roleChanged" values={{ role: label('role', change.data.role) }} />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id="staff.user.roleHint" values={{ name: user.full_name || user.email }} />
      </p>
      <Select
        label={intl.formatMessage({ id: 'staff.field.role' })}
        value={role}
        onChange={(e) => setRole(e.target.value as Role)}
        error={change.error instanceof ApiError ? change.error.field('role') : undefined}
      >
        {enums.role.map((r) => (
          <option key={r} value={r}>
            {label('role', r)}
          </option>
        ))}
      </Select>
    </ActionForm>
  );
}

function StatusForm({ user, action, onClose }: FormProps & { action: 'disable' | 'enable' }) {
  const intl = useIntl();
  const changed = useUserChanged(user.id);
  const [note, setNote] = useState('');
  const run = useMutation({
    mutationFn: async () => {
      const body = note.trim() === '' ? {} : { note: note.trim() };
      const opts = { params: { path: { id: user.id } }, body };
      return unwrap(action === 'disable' ? await api.POST('/v1/admin/users/{id}/disable', opts) : await api.POST('/v1/admin/users/{id}/enable', opts));
    },
    onSuccess: changed,
  });
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: `staff.user.${action}Submit` })}
      danger={action === 'disable'}
      busy={run.isPending}
      error={run.error}
      onSubmit={() => run.mutate()}
      onClose={onClose}
      done={
        run.data && (
          <Alert kind="success">
            <FormattedMessage id={`staff.user.${action}d`} />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id={`staff.user.${action}Hint`} values={{ name: user.full_name || user.email }} />
      </p>
      <TextArea
        label={intl.formatMessage({ id: 'staff.field.noteOptional' })}
        hint={intl.formatMessage({ id: 'staff.user.noteHint' })}
        value={note}
        maxLength={500}
        onChange={(e) => setNote(e.target.value)}
        error={run.error instanceof ApiError ? run.error.field('note') : undefined}
      />
    </ActionForm>
  );
}

function UnlockForm({ user, onClose }: FormProps) {
  const intl = useIntl();
  const changed = useUserChanged(user.id);
  const unlock = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/admin/users/{id}/unlock', { params: { path: { id: user.id } } })),
    onSuccess: changed,
  });
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.user.unlockSubmit' })}
      busy={unlock.isPending}
      error={unlock.error}
      onSubmit={() => unlock.mutate()}
      onClose={onClose}
      done={
        unlock.data && (
          <Alert kind="success">
            <FormattedMessage id="staff.user.unlocked" />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id="staff.user.unlockHint" values={{ name: user.full_name || user.email }} />
      </p>
    </ActionForm>
  );
}

function WelcomeForm({ user, onClose }: FormProps) {
  const intl = useIntl();
  const changed = useUserChanged(user.id);
  // One key per opening of the dialog: sending again after a lost answer queues nothing more.
  const [key] = useState(() => crypto.randomUUID());
  const send = useMutation({
    mutationFn: async () => {
      unwrap(await api.POST('/v1/admin/users/{id}/welcome-email', { params: { path: { id: user.id }, header: { 'Idempotency-Key': key } } }));
      return true;
    },
    onSuccess: changed,
  });
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.user.welcomeSubmit' })}
      busy={send.isPending}
      error={send.error}
      onSubmit={() => send.mutate()}
      onClose={onClose}
      done={
        send.data && (
          <Alert kind="success">
            <FormattedMessage id="staff.user.welcomeSent" values={{ email: user.email }} />
          </Alert>
        )
      }
    >
      <p>
        <FormattedMessage id="staff.user.welcomeHint" values={{ email: user.email }} />
      </p>
    </ActionForm>
  );
}
