import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ApiError, unwrap } from '../../api/problem';
import { Alert, Button, Dialog, ErrorMessage, Field, Loading, Page, Pager, Select } from '../../ui/kit';
import { DateTime } from '../../ui/format';
import { useCursorPages } from '../../ui/paging';
import { AccountLookup } from './AccountLookup';
import { useCan } from './can';
import { enums, useLabel } from './labels';
import { ActionForm, compact, EnumBadge, Section, TableWrap, to, useUrlFilters } from './parts';
import { dayEnd, dayStart } from './time';
import type { QueryOf, StaffUser } from './types';

const filterNames = ['q', 'role', 'status', 'created_from', 'created_to'] as const;
type Filters = Record<(typeof filterNames)[number], string>;

// Users finds users of every role by name or email, role, status and when they joined.
export function Users() {
  const intl = useIntl();
  const can = useCan();
  const [filters, setFilters, key] = useUrlFilters(filterNames);
  const [creating, setCreating] = useState(false);
  return (
    <Page
      title={intl.formatMessage({ id: 'staff.users.title' })}
      actions={
        can('createStaff') && (
          <Button onClick={() => setCreating(true)}>
            <FormattedMessage id="staff.users.create" />
          </Button>
        )
      }
    >
      <Section title={intl.formatMessage({ id: 'staff.lookup.title' })}>
        <AccountLookup />
      </Section>
      <UserFilters key={`f-${key}`} initial={filters} onSearch={setFilters} />
      <UserList key={`l-${key}`} filters={filters} />
      {can('createStaff') && <CreateStaffDialog open={creating} onClose={() => setCreating(false)} />}
    </Page>
  );
}

function UserFilters({ initial, onSearch }: { initial: Filters; onSearch: (f: Filters) => void }) {
  const intl = useIntl();
  const label = useLabel();
  const [draft, setDraft] = useState(initial);
  const set = (name: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(draft);
  };
  return (
    <form className="card filters" role="search" aria-label={intl.formatMessage({ id: 'staff.users.search' })} onSubmit={submit}>
      <Field label={intl.formatMessage({ id: 'staff.users.q' })} type="search" value={draft.q} onChange={set('q')} maxLength={254} />
      <Select label={intl.formatMessage({ id: 'staff.field.role' })} value={draft.role} onChange={set('role')}>
        <option value="">{intl.formatMessage({ id: 'staff.any' })}</option>
        {enums.role.map((r) => (
          <option key={r} value={r}>
            {label('role', r)}
          </option>
        ))}
      </Select>
      <Select label={intl.formatMessage({ id: 'staff.field.status' })} value={draft.status} onChange={set('status')}>
        <option value="">{intl.formatMessage({ id: 'staff.any' })}</option>
        {enums.userStatus.map((s) => (
          <option key={s} value={s}>
            {label('userStatus', s)}
          </option>
        ))}
      </Select>
      <Field label={intl.formatMessage({ id: 'staff.users.createdFrom' })} type="date" value={draft.created_from} onChange={set('created_from')} />
      <Field label={intl.formatMessage({ id: 'staff.users.createdTo' })} type="date" value={draft.created_to} onChange={set('created_to')} />
      <div className="field">
        <Button type="submit">
          <FormattedMessage id="staff.search" />
        </Button>
      </div>
    </form>
  );
}

function UserList({ filters }: { filters: Filters }) {
  const intl = useIntl();
  const pages = useCursorPages();
  const query = compact({
    q: filters.q,
    role: filters.role as StaffUser['role'] | '',
    status: filters.status as StaffUser['status'] | '',
    created_from: dayStart(filters.created_from),
    created_to: dayEnd(filters.created_to),
    cursor: pages.cursor,
  }) as QueryOf<'staffListUsers'>;
  const { data, error, isPending } = useQuery({
    queryKey: ['staff', 'users', query],
    queryFn: async () => unwrap(await api.GET('/v1/admin/users', { params: { query } })),
  });
  if (isPending) return <Loading />;
  if (error) return <ErrorMessage error={error} />;
  return (
    <>
      {data.items.length === 0 ? (
        <p className="muted">
          <FormattedMessage id="staff.users.none" />
        </p>
      ) : (
        <TableWrap label={intl.formatMessage({ id: 'staff.users.title' })}>
          <table>
            <caption className="visually-hidden">{intl.formatMessage({ id: 'staff.users.title' })}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <FormattedMessage id="staff.field.name" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.email" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.role" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.status" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.login" />
                </th>
                <th scope="col">
                  <FormattedMessage id="staff.field.createdAt" />
                </th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((u) => (
                <tr key={u.id}>
                  <th scope="row">
                    <Link to={to.user(u.id)}>{u.full_name || u.email}</Link>
                  </th>
                  <td>{u.email}</td>
                  <td>
                    <EnumBadge group="role" value={u.role} />
                  </td>
                  <td>
                    <EnumBadge group="userStatus" value={u.status} />
                  </td>
                  <td>
                    <LoginState user={u} />
                  </td>
                  <td>
                    <DateTime value={u.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager hasPrev={pages.hasPrev} next={data.next_cursor} onPrev={pages.prev} onNext={() => data.next_cursor && pages.next(data.next_cursor)} />
    </>
  );
}

export function isLocked(user: Pick<StaffUser, 'locked_until'>, now = Date.now()): boolean {
  return !!user.locked_until && new Date(user.locked_until).getTime() > now;
}

// LoginState says whether the user may log in now: locked until when, or how many failed tries.
export function LoginState({ user }: { user: StaffUser }) {
  if (isLocked(user)) {
    return (
      <span className="badge badge-bad">
        <FormattedMessage id="staff.user.lockedUntil" values={{ time: <DateTime value={user.locked_until!} /> }} />
      </span>
    );
  }
  if (user.failed_logins > 0) {
    return (
      <span className="muted">
        <FormattedMessage id="staff.user.failedLogins" values={{ n: user.failed_logins }} />
      </span>
    );
  }
  return (
    <span className="muted">
      <FormattedMessage id="staff.user.loginOk" />
    </span>
  );
}

// CreateStaffDialog invites a new support or admin member: the API emails them a link to choose
// their own password.
function CreateStaffDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const intl = useIntl();
  return (
    <Dialog open={open} title={intl.formatMessage({ id: 'staff.users.create' })} onClose={onClose}>
      <CreateStaffForm onClose={onClose} />
    </Dialog>
  );
}

function CreateStaffForm({ onClose }: { onClose: () => void }) {
  const intl = useIntl();
  const label = useLabel();
  const queries = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<'support' | 'admin'>('support');
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/v1/admin/users', { body: { email: email.trim(), full_name: name.trim(), role } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['staff', 'users'] }),
  });
  const apiError = create.error instanceof ApiError ? create.error : undefined;
  return (
    <ActionForm
      submitLabel={intl.formatMessage({ id: 'staff.users.createSubmit' })}
      busy={create.isPending}
      error={create.error}
      onSubmit={() => create.mutate()}
      onClose={onClose}
      done={
        create.data && (
          <Alert kind="success">
            <FormattedMessage
              id="staff.users.created"
              values={{ email: create.data.email, link: (text) => <Link to={to.user(create.data.id)}>{text}</Link> }}
            />
          </Alert>
        )
      }
    >
      <p className="hint">
        <FormattedMessage id="staff.users.createHint" />
      </p>
      <Field
        label={intl.formatMessage({ id: 'staff.field.email' })}
        type="email"
        autoComplete="off"
        required
        maxLength={254}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={apiError?.field('email')}
      />
      <Field
        label={intl.formatMessage({ id: 'staff.field.name' })}
        required
        maxLength={100}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={apiError?.field('full_name')}
      />
      <Select
        label={intl.formatMessage({ id: 'staff.field.role' })}
        value={role}
        onChange={(e) => setRole(e.target.value as 'support' | 'admin')}
        error={apiError?.field('role')}
      >
        <option value="support">{label('role', 'support')}</option>
        <option value="admin">{label('role', 'admin')}</option>
      </Select>
    </ActionForm>
  );
}
