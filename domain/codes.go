package domain

import "errors"

// Code names why a request or an operation did not succeed. Each has one snake_case spelling, used
// alike as the `code` of an API problem, a transfer's `failure_code`, the type of the Temporal
// application error that carries a refusal through a workflow, and an enum in api/openapi.yaml.
// The API maps each code to its HTTP status in one table (api/errors.go).
type Code string

// Refusals: business rules that said no. They are final; retrying cannot change them.
const (
	CodeEmailTaken        Code = "email_taken"
	CodeAccountNotFound   Code = "account_not_found"
	CodeAccountNotActive  Code = "account_not_active"
	CodeCurrencyMismatch  Code = "currency_mismatch"
	CodeNotOwner          Code = "not_owner"
	CodeInsufficientFunds Code = "insufficient_funds"
	CodeLimitExceeded     Code = "limit_exceeded"
	CodeHoldExpired       Code = "hold_expired"
	CodeAccountLimit      Code = "account_limit_reached"
	CodeBalanceLimit      Code = "balance_limit_exceeded"
	CodeLastAdmin         Code = "last_admin"
	CodeCanceled          Code = "canceled"
	// An admin's deposits and withdrawals of the UTC day, those awaiting approval included, would
	// pass their daily cash limit in that currency.
	CodeDailyLimitExceeded Code = "daily_limit_exceeded"
	// A second admin rejected a cash movement that needed approval, or nobody decided in time.
	CodeApprovalRejected Code = "approval_rejected"
	CodeApprovalExpired  Code = "approval_expired"
	// Money cannot leave a frozen account, nor enter one frozen in full.
	CodeAccountFrozen Code = "account_frozen"
	// The account already has a freeze in force (or one being applied).
	CodeAlreadyFrozen Code = "already_frozen"
)

// Request problems, answered by the API before anything runs.
const (
	CodeInvalidJSON         Code = "invalid_json"
	CodeValidation          Code = "validation_failed"
	CodeUnsupportedMedia    Code = "unsupported_media_type"
	CodeBodyTooLarge        Code = "body_too_large"
	CodeUnauthorized        Code = "unauthorized"
	CodeInvalidCredentials  Code = "invalid_credentials"
	CodeInvalidRefreshToken Code = "invalid_refresh_token"
	CodeForbidden           Code = "forbidden"
	CodeNotFound            Code = "not_found"
	CodeMethodNotAllowed    Code = "method_not_allowed"
	CodeRateLimited         Code = "rate_limited"
	CodeIdempotencyKey      Code = "idempotency_key_invalid"
	CodeIdempotencyReused   Code = "idempotency_key_reused"
	CodeIdempotencyInFlight Code = "idempotency_request_in_progress"
	CodeUnknownParameter    Code = "unknown_query_parameter"
	// A request to the WebSocket route that is not a WebSocket handshake.
	CodeUpgradeRequired Code = "upgrade_required"
	// A cash approval that is no longer pending (approved, rejected or expired) was decided again.
	CodeApprovalDecided Code = "approval_already_decided"
	// The admin deciding a cash approval asked for it, or owns its account: four eyes need another.
	CodeApproverNotIndependent Code = "approver_not_independent"
	// An unfreeze of an account that has no freeze in force.
	CodeNotFrozen Code = "not_frozen"
	// A notification setting tried to turn off the email of a security notification (password
	// changed, login locked, new device) or of a staff invitation: those are always emailed.
	CodeEmailRequired Code = "notification_email_required"
	// A refresh or logout by a browser's session cookie that did not carry the session's CSRF
	// token, or came from another origin.
	CodeCSRFFailed Code = "csrf_failed"
	// A payload sent to the codec's decode route that cannot be decrypted: encrypted with a key
	// the bank does not hold, or altered.
	CodePayloadUndecodable Code = "payload_undecodable"
)

// Failures on the bank's side.
const (
	CodeUnavailable Code = "service_unavailable"
	CodeInternal    Code = "internal_error"
)

// Codes lists every code, in the order the OpenAPI document lists them.
var Codes = []Code{
	CodeEmailTaken, CodeAccountNotFound, CodeAccountNotActive, CodeCurrencyMismatch, CodeNotOwner,
	CodeInsufficientFunds, CodeLimitExceeded, CodeHoldExpired, CodeAccountLimit, CodeBalanceLimit, CodeLastAdmin,
	CodeCanceled, CodeInvalidJSON, CodeValidation, CodeUnsupportedMedia, CodeBodyTooLarge, CodeUnauthorized,
	CodeInvalidCredentials, CodeInvalidRefreshToken, CodeForbidden, CodeNotFound, CodeMethodNotAllowed,
	CodeRateLimited, CodeIdempotencyKey, CodeIdempotencyReused, CodeIdempotencyInFlight,
	CodeUnknownParameter, CodeUnavailable, CodeInternal,
	CodeDailyLimitExceeded, CodeApprovalRejected, CodeApprovalExpired, CodeApprovalDecided,
	CodeApproverNotIndependent,
	CodeAccountFrozen, CodeAlreadyFrozen, CodeNotFrozen, CodeEmailRequired,
	CodeUpgradeRequired, CodeCSRFFailed, CodePayloadUndecodable,
}

// Message is what a customer reads when an operation ends with code c.
func (c Code) Message() string {
	switch c {
	case CodeEmailTaken:
		return "An account with this email address already exists."
	case CodeAccountNotFound:
		return "One of the accounts does not exist."
	case CodeAccountNotActive:
		return "One of the accounts is closed, so no money can move."
	case CodeCurrencyMismatch:
		return "Both accounts and the transfer must be in the same currency."
	case CodeNotOwner:
		return "You can only send money from your own accounts."
	case CodeInsufficientFunds:
		return "The account does not have enough available balance."
	case CodeLimitExceeded:
		return "The amount is above the transfer limit for this account."
	case CodeHoldExpired:
		return "The reserved funds expired before the transfer could complete; nothing was moved."
	case CodeAccountLimit:
		return "You already hold as many open accounts as one customer may."
	case CodeBalanceLimit:
		return "The receiving account's balance would exceed the largest balance an account may hold; nothing was moved."
	case CodeLastAdmin:
		return "The bank must keep at least one active admin."
	case CodeCanceled:
		return "The operation was canceled; nothing was moved."
	case CodeDailyLimitExceeded:
		return "The amount is above what you may still move in cash today in this currency; nothing was recorded."
	case CodeApprovalRejected:
		return "A second admin rejected the cash movement; nothing was moved."
	case CodeApprovalExpired:
		return "No second admin approved the cash movement in time; nothing was moved."
	case CodeAccountFrozen:
		return "One of the accounts is frozen, so this money cannot move; nothing was moved."
	case CodeAlreadyFrozen:
		return "The account is already frozen."
	case CodeNotFrozen:
		return "The account is not frozen."
	default:
		return "The operation could not be completed because of a problem on our side; nothing was moved."
	}
}

// Refusal is a business rule's final no, created where the rule lives (the ledger's transactions,
// the transfer's validation) and carried to the customer with its code.
type Refusal struct {
	Code Code
}

func (r *Refusal) Error() string { return "refused: " + string(r.Code) }

// Is makes every refusal of the same code match, so callers test with errors.Is(err, ErrX).
func (r *Refusal) Is(target error) bool {
	t, ok := target.(*Refusal)
	return ok && t.Code == r.Code
}

// Refusals, one per code that a rule can give.
var (
	ErrAccountNotFound   = &Refusal{Code: CodeAccountNotFound}
	ErrAccountNotActive  = &Refusal{Code: CodeAccountNotActive}
	ErrCurrencyMismatch  = &Refusal{Code: CodeCurrencyMismatch}
	ErrNotOwner          = &Refusal{Code: CodeNotOwner}
	ErrInsufficientFunds = &Refusal{Code: CodeInsufficientFunds}
	ErrLimitExceeded     = &Refusal{Code: CodeLimitExceeded}
	ErrHoldExpired       = &Refusal{Code: CodeHoldExpired}
	ErrAccountLimit      = &Refusal{Code: CodeAccountLimit}
	ErrBalanceLimit      = &Refusal{Code: CodeBalanceLimit}
	ErrLastAdmin         = &Refusal{Code: CodeLastAdmin}
)

// ErrDailyLimitExceeded refuses a cash movement that would take its admin past their daily limit.
var ErrDailyLimitExceeded = &Refusal{Code: CodeDailyLimitExceeded}

// Refusals of freezes: money moving against a freeze, and a freeze of an account already frozen.
var (
	ErrAccountFrozen = &Refusal{Code: CodeAccountFrozen}
	ErrAlreadyFrozen = &Refusal{Code: CodeAlreadyFrozen}
)

// RefusalCode returns the code of the refusal in err's chain and true, or false when err is no
// refusal.
func RefusalCode(err error) (Code, bool) {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Code, true
	}
	return "", false
}

// IsRefusal reports whether c is a business rule's final no (and not a request problem or a failure
// on the bank's side). A cancellation is no refusal: someone stopped the operation.
func (c Code) IsRefusal() bool {
	switch c {
	case CodeEmailTaken, CodeAccountNotFound, CodeAccountNotActive, CodeCurrencyMismatch, CodeNotOwner,
		CodeInsufficientFunds, CodeLimitExceeded, CodeHoldExpired, CodeAccountLimit, CodeBalanceLimit, CodeLastAdmin,
		CodeDailyLimitExceeded, CodeApprovalRejected, CodeApprovalExpired,
		CodeAccountFrozen, CodeAlreadyFrozen:
		return true
	}
	return false
}

// Known reports whether c is one of the bank's codes (and not, say, the type name of an unexpected
// Go error that Temporal carried as an application error).
func (c Code) Known() bool {
	for _, k := range Codes {
		if c == k {
			return true
		}
	}
	return false
}
