// Package domain holds the bank's vocabulary shared by every layer: the typed reasons an operation
// can be refused, with the words a customer reads, and money amounts in minor units.
package domain

// Error types of business refusals. Activities raise them as non-retryable Temporal application
// errors; workflows and the API recognise them by these names.
const (
	ErrTypeEmailTaken        = "EmailTaken"
	ErrTypeAccountNotFound   = "AccountNotFound"
	ErrTypeAccountNotActive  = "AccountNotActive"
	ErrTypeCurrencyMismatch  = "CurrencyMismatch"
	ErrTypeNotOwner          = "NotOwner"
	ErrTypeInsufficientFunds = "InsufficientFunds"
	ErrTypeLimitExceeded     = "LimitExceeded"
	ErrTypeHoldNotActive     = "HoldNotActive"
	ErrTypeInvalidRequest    = "InvalidRequest"
	ErrTypeCanceled          = "Canceled"
	ErrTypeInternal          = "Internal"
)

// CustomerMessage is the reason a customer reads when an operation ends with the given error type.
func CustomerMessage(errType string) string {
	switch errType {
	case ErrTypeEmailTaken:
		return "An account with this email address already exists."
	case ErrTypeAccountNotFound:
		return "One of the accounts does not exist."
	case ErrTypeAccountNotActive:
		return "One of the accounts is frozen or closed, so no money can move."
	case ErrTypeCurrencyMismatch:
		return "Both accounts and the transfer must be in the same currency."
	case ErrTypeNotOwner:
		return "You can only send money from your own accounts."
	case ErrTypeInsufficientFunds:
		return "The account does not have enough available balance."
	case ErrTypeLimitExceeded:
		return "The amount is above the transfer limit for this account."
	case ErrTypeHoldNotActive:
		return "The reserved funds expired before the transfer could complete; nothing was moved."
	case ErrTypeInvalidRequest:
		return "The request was not valid."
	case ErrTypeCanceled:
		return "The operation was canceled; nothing was moved."
	default:
		return "The operation could not be completed because of a problem on our side; nothing was moved."
	}
}
