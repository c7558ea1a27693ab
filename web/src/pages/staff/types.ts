import type { components, operations } from '../../api/schema';

// The contract's shapes the staff console reads, by their names in api/openapi.yaml.
type S = components['schemas'];
export type StaffUser = S['StaffUser'];
export type StaffUserDetail = S['StaffUserDetail'];
export type StaffAccount = S['StaffAccount'];
export type StaffAccountDetail = S['StaffAccountDetail'];
export type StaffTransfer = S['StaffTransfer'];
export type StaffTransferDetail = S['StaffTransferDetail'];
export type Freeze = S['Freeze'];
export type CashApproval = S['CashApproval'];
export type AuditEvent = S['AuditEvent'];
export type AuditVerification = S['AuditVerification'];
export type Statement = S['Statement'];
export type TransactionsReport = S['TransactionsReport'];
export type TransactionsReportRow = TransactionsReport['items'][number];
export type AccountsReport = S['AccountsReport'];
export type Transfer = S['Transfer'];
export type Operation = S['Operation'];
export type Code = S['Code'];

export type Role = StaffUser['role'];
export type UserStatus = StaffUser['status'];
export type Locale = StaffUser['locale'];
export type AccountStatus = StaffAccount['status'];
export type AccountKind = StaffAccount['kind'];
export type TransferKind = StaffTransfer['kind'];
export type TransferStatus = StaffTransfer['status'];
export type StepName = S['TransferStep']['name'];
export type FreezeReason = S['FreezeRequest']['reason'];
export type FreezeScope = NonNullable<S['FreezeRequest']['scope']>;
export type FreezeStatus = Freeze['status'];
export type ApprovalStatus = CashApproval['status'];
export type CashKind = CashApproval['kind'];
export type Interval = TransactionsReport['interval'];
export type AuditType = NonNullable<NonNullable<operations['listAuditEvents']['parameters']['query']>['type']>;

// The query parameters of an operation of the contract.
export type QueryOf<K extends keyof operations> = NonNullable<operations[K]['parameters']['query']>;
