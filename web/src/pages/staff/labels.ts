import { useCallback } from 'react';
import { useIntl } from 'react-intl';
import type {
  AccountKind,
  AccountStatus,
  ApprovalStatus,
  AuditType,
  CashKind,
  Code,
  FreezeReason,
  FreezeScope,
  FreezeStatus,
  Interval,
  Locale,
  Role,
  StepName,
  TransferKind,
  TransferStatus,
  UserStatus,
} from './types';

// Every value of an enum of the contract, listed through a record keyed by the enum's type: a value
// added to the contract fails the type check here until it is listed, and the unit tests then ask
// for its name in both languages.
const values = <T extends string>(all: Record<T, true>): readonly T[] => Object.keys(all) as T[];

export const enums = {
  role: values<Role>({ client: true, support: true, admin: true }),
  userStatus: values<UserStatus>({ pending: true, active: true, disabled: true }),
  locale: values<Locale>({ en: true, es: true }),
  accountStatus: values<AccountStatus>({ active: true, frozen: true, closed: true }),
  accountKind: values<AccountKind>({ customer: true, cash: true }),
  transferKind: values<TransferKind>({ transfer: true, deposit: true, withdrawal: true }),
  transferStatus: values<TransferStatus>({ pending: true, completed: true, failed: true, compensated: true }),
  step: values<StepName>({ accept: true, validate: true, place_hold: true, post: true, void_hold: true, expire_hold: true }),
  freezeReason: values<FreezeReason>({ suspected_fraud: true, customer_request: true, legal_order: true, other: true }),
  freezeScope: values<FreezeScope>({ full: true, debit: true }),
  freezeStatus: values<FreezeStatus>({ pending: true, active: true, ended: true, failed: true }),
  approvalStatus: values<ApprovalStatus>({ pending: true, approved: true, rejected: true, expired: true }),
  cashKind: values<CashKind>({ deposit: true, withdrawal: true }),
  interval: values<Interval>({ day: true, week: true, month: true }),
  auditType: values<AuditType>({
    'user.registered': true,
    'user.registration_failed': true,
    'auth.login_succeeded': true,
    'auth.login_failed': true,
    'auth.refresh_token_reused': true,
    'auth.password_changed': true,
    'auth.password_change_failed': true,
    'transfer.completed': true,
    'transfer.failed': true,
    'system.error': true,
    'staff.read': true,
    'user.role_changed': true,
    'user.disabled': true,
    'user.enabled': true,
    'user.login_unlocked': true,
    'user.staff_created': true,
    'auth.password_set': true,
    'user.welcome_resent': true,
    'cash_approval.requested': true,
    'cash_approval.approved': true,
    'cash_approval.rejected': true,
    'cash_approval.expired': true,
    'email.failed': true,
    'account.frozen': true,
    'account.unfrozen': true,
    'account.freeze_failed': true,
    'user.profile_changed': true,
    'auth.login_locked': true,
    'account.opened': true,
    'transfer.requested': true,
  }),
  code: values<Code>({
    email_taken: true,
    account_not_found: true,
    account_not_active: true,
    currency_mismatch: true,
    not_owner: true,
    insufficient_funds: true,
    limit_exceeded: true,
    hold_expired: true,
    account_limit_reached: true,
    balance_limit_exceeded: true,
    last_admin: true,
    canceled: true,
    invalid_json: true,
    validation_failed: true,
    unsupported_media_type: true,
    body_too_large: true,
    unauthorized: true,
    invalid_credentials: true,
    invalid_refresh_token: true,
    forbidden: true,
    not_found: true,
    method_not_allowed: true,
    rate_limited: true,
    idempotency_key_invalid: true,
    idempotency_key_reused: true,
    idempotency_request_in_progress: true,
    unknown_query_parameter: true,
    service_unavailable: true,
    internal_error: true,
    daily_limit_exceeded: true,
    approval_rejected: true,
    approval_expired: true,
    approval_already_decided: true,
    approver_not_independent: true,
    account_frozen: true,
    already_frozen: true,
    not_frozen: true,
    notification_email_required: true,
    upgrade_required: true,
    csrf_failed: true,
    payload_undecodable: true,
  }),
};

export type EnumGroup = keyof typeof enums;

export const labelId = (group: EnumGroup, value: string) => `staff.${group}.${value}`;

// useLabel names an enum's value in the reader's language; a value this app does not know yet (the
// API is newer) is shown as the API spells it.
export function useLabel(): (group: EnumGroup, value: string) => string {
  const intl = useIntl();
  return useCallback(
    (group, value) => {
      const id = labelId(group, value);
      return id in intl.messages ? intl.formatMessage({ id }) : value;
    },
    [intl],
  );
}
