package domain

// Role is what a user may do: customers are clients; staff are support or admin.
type Role string

const (
	RoleClient  Role = "client"
	RoleSupport Role = "support"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, for validation and documentation.
var Roles = []Role{RoleClient, RoleSupport, RoleAdmin}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleClient || r == RoleSupport || r == RoleAdmin }

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool { return r == RoleSupport || r == RoleAdmin }

// UserStatus is where a user stands: pending while their registration runs, then active, or
// disabled by staff.
type UserStatus string

const (
	UserPending  UserStatus = "pending"
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// UserStatuses lists every user status.
var UserStatuses = []UserStatus{UserPending, UserActive, UserDisabled}

// AccountKind separates customers' accounts from the bank's cash account of each currency, where
// deposits come from and withdrawals go to.
type AccountKind string

const (
	AccountCustomer AccountKind = "customer"
	AccountCash     AccountKind = "cash"
)

// AccountStatus says whether money may move on an account.
type AccountStatus string

const (
	AccountActive AccountStatus = "active"
	AccountFrozen AccountStatus = "frozen"
	AccountClosed AccountStatus = "closed"
)

// AccountStatuses lists every account status.
var AccountStatuses = []AccountStatus{AccountActive, AccountFrozen, AccountClosed}

// TransferKind is what a transfer is for: between two customer accounts, or a deposit or
// withdrawal against the cash account.
type TransferKind string

const (
	KindTransfer   TransferKind = "transfer"
	KindDeposit    TransferKind = "deposit"
	KindWithdrawal TransferKind = "withdrawal"
)

// TransferKinds lists every transfer kind.
var TransferKinds = []TransferKind{KindTransfer, KindDeposit, KindWithdrawal}

// TransferStatus is a transfer's state. Pending is the only state that changes: to completed when
// the money moved, to failed when it was refused before a hold was placed, and to compensated when a
// hold was placed and then voided. Nothing moved in a failed or compensated transfer.
type TransferStatus string

const (
	TransferPending     TransferStatus = "pending"
	TransferCompleted   TransferStatus = "completed"
	TransferFailed      TransferStatus = "failed"
	TransferCompensated TransferStatus = "compensated"
)

// TransferStatuses lists every transfer status.
var TransferStatuses = []TransferStatus{TransferPending, TransferCompleted, TransferFailed, TransferCompensated}

// Ended reports whether s is a final status.
func (s TransferStatus) Ended() bool { return s != TransferPending }

// HoldStatus is a hold's state. A hold reserves a transfer's amount on its source account: it is
// placed (active), then either captured when the transfer posts or voided when it does not (by the
// saga's compensation, or by the sweep once the hold expires).
type HoldStatus string

const (
	HoldActive   HoldStatus = "active"
	HoldCaptured HoldStatus = "captured"
	HoldVoided   HoldStatus = "voided"
)

// TransferStep names one entry of a transfer's timeline: what was done, with a StepStatus saying
// whether it worked. A step that failed ended the transfer, whose failure_code says why.
type TransferStep string

const (
	StepAccept     TransferStep = "accept"      // the API recorded the transfer
	StepValidate   TransferStep = "validate"    // accounts, ownership, currency and limits
	StepPlaceHold  TransferStep = "place_hold"  // the amount reserved on the source account
	StepPost       TransferStep = "post"        // debit, credit and capture in one transaction
	StepVoidHold   TransferStep = "void_hold"   // the saga gave the reserved amount back
	StepExpireHold TransferStep = "expire_hold" // the hold outlived its expiry and was voided
)

// StepStatus is how a step ended.
type StepStatus string

const (
	StepOK     StepStatus = "ok"
	StepFailed StepStatus = "failed"
)

// OperationStatus is the state of a long-running operation (a registration, a transfer) that a
// client polls.
type OperationStatus string

const (
	OperationRunning   OperationStatus = "running"
	OperationCompleted OperationStatus = "completed"
	OperationFailed    OperationStatus = "failed"
)

// OperationKind is what a long-running operation does.
type OperationKind string

const (
	OperationRegistration OperationKind = "registration"
	OperationTransfer     OperationKind = "transfer"
	OperationCashApproval OperationKind = "cash_approval"
	OperationFreeze       OperationKind = "freeze"
)

// CashApprovalStatus is where a deposit or withdrawal at or above its currency's approval threshold
// stands. Pending is the only state that changes: to approved or rejected by a second admin (never
// the one who asked, never the account's owner), or to expired when nobody decided in time. Only an
// approved one moves money, as a transfer of its own.
type CashApprovalStatus string

const (
	ApprovalPending  CashApprovalStatus = "pending"
	ApprovalApproved CashApprovalStatus = "approved"
	ApprovalRejected CashApprovalStatus = "rejected"
	ApprovalExpired  CashApprovalStatus = "expired"
)

// Decided reports whether s is a final status.
func (s CashApprovalStatus) Decided() bool { return s != ApprovalPending }

// NextStep is what a client does once an operation has completed.
type NextStep string

// NextLogIn follows every completed registration, whether it opened an account or found the email
// taken (its owner is then told by email): the answer does not tell which emails have accounts.
const NextLogIn NextStep = "log_in"

// FreezeReason is why staff froze an account. Customers read it; the staff's note stays with staff.
type FreezeReason string

const (
	FreezeSuspectedFraud  FreezeReason = "suspected_fraud"
	FreezeCustomerRequest FreezeReason = "customer_request"
	FreezeLegalOrder      FreezeReason = "legal_order"
	FreezeOther           FreezeReason = "other" // needs a note saying what
)

// FreezeReasons lists every freeze reason.
var FreezeReasons = []FreezeReason{FreezeSuspectedFraud, FreezeCustomerRequest, FreezeLegalOrder, FreezeOther}

// FreezeScope is what a freeze stops: full stops money in and out, debit only money out.
type FreezeScope string

const (
	FreezeFull  FreezeScope = "full"
	FreezeDebit FreezeScope = "debit"
)

// FreezeScopes lists every freeze scope, the default first.
var FreezeScopes = []FreezeScope{FreezeFull, FreezeDebit}

// StopsCredits reports whether a freeze of scope s refuses money coming in. Every freeze refuses
// money going out.
func (s FreezeScope) StopsCredits() bool { return s != FreezeDebit }

// FreezeStatus is where a freeze stands. Pending (recorded, not yet in force) changes to active when
// its workflow freezes the account, or to failed when it cannot; active changes to ended when an
// admin unfreezes the account or the freeze's end comes, or to failed when the freeze could not be
// carried through and was lifted. Ended and failed are final.
type FreezeStatus string

const (
	FreezePending FreezeStatus = "pending"
	FreezeActive  FreezeStatus = "active"
	FreezeEnded   FreezeStatus = "ended"
	FreezeFailed  FreezeStatus = "failed"
)

// FreezeStatuses lists every freeze status.
var FreezeStatuses = []FreezeStatus{FreezePending, FreezeActive, FreezeEnded, FreezeFailed}

// Open reports whether a freeze in status s still stands or is about to: pending or active. An
// account has at most one open freeze.
func (s FreezeStatus) Open() bool { return s == FreezePending || s == FreezeActive }
