package workflows

import (
	"fmt"
	"time"

	"github.com/bankforge/bank/domain"
)

// A workflow's summary is the one line the Temporal web UI shows for it in its list, and its details
// the text on its page (StartWorkflowOptions.StaticSummary and StaticDetails). Both are payloads
// that the client's data converter encodes, with its codec when payloads are encrypted: the UI
// then shows them through the codec server, and in clear to whoever reads the server's store
// without it. So they name no person: a kind, an amount and its currency, the last four digits
// of account numbers, a reason's code, a date. The ids operators search by are search attributes.

// maskedNumber is an account number as summaries show it: its last four digits.
func maskedNumber(number string) string {
	if len(number) > 4 {
		number = number[len(number)-4:]
	}
	return "…" + number
}

// amountText writes an amount as "12.50 EUR", with the currency's number of decimals.
func amountText(amount int64, exponent int, currency string) string {
	return domain.FormatMinor(amount, exponent) + " " + currency
}

// dateText writes a moment as "2026-02-01 00:00 UTC".
func dateText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// TransferSummary is a transfer's summary: "Transfer 12.50 EUR from …1234 to …5678", "Deposit
// 100.00 USD into …1234", "Withdrawal 50.00 USD from …1234".
func TransferSummary(in TransferInput) string {
	amount := amountText(in.Amount, in.Exponent, in.Currency)
	switch in.Kind {
	case domain.KindDeposit:
		return fmt.Sprintf("Deposit %s into %s", amount, maskedNumber(in.ToAccountNumber))
	case domain.KindWithdrawal:
		return fmt.Sprintf("Withdrawal %s from %s", amount, maskedNumber(in.FromAccountNumber))
	default:
		return fmt.Sprintf("Transfer %s from %s to %s", amount, maskedNumber(in.FromAccountNumber), maskedNumber(in.ToAccountNumber))
	}
}

const transferDetails = "Steps: validate, place_hold, post; a refusal after the hold runs void_hold. " +
	"The state query answers the step it is at. BankTransferStatus ends completed, failed or compensated."

// FreezeSummary is a freeze's summary: "Full freeze of …1234 (legal_order) until 2026-02-01 00:00
// UTC", or "until unfrozen" when an admin ends it.
func FreezeSummary(in FreezeInput) string {
	end := "until unfrozen"
	if in.Until != nil {
		end = "until " + dateText(*in.Until)
	}
	scope := "Full"
	if in.Scope == domain.FreezeDebit {
		scope = "Debit"
	}
	return fmt.Sprintf("%s freeze of %s (%s) %s", scope, maskedNumber(in.AccountNumber), in.Reason, end)
}

const freezeDetails = "In force once BankFreezeStatus is active; it waits for an admin's unfreeze (signal " +
	FreezeEndedSignal + ") or its end (BankFreezeUntil). The state query answers its status and end."

// CashApprovalSummary is a cash approval's summary: "Approval of a deposit of 15000.00 USD into
// …1234, expires 2026-11-30 10:00 UTC".
func CashApprovalSummary(in CashApprovalInput) string {
	direction := "into"
	if in.Kind == domain.KindWithdrawal {
		direction = "from"
	}
	return fmt.Sprintf("Approval of a %s of %s %s %s, expires %s", in.Kind, amountText(in.Amount, in.Exponent, in.Currency),
		direction, maskedNumber(in.AccountNumber), dateText(in.ExpiresAt))
}

const cashApprovalDetails = "Waits for a second admin's decision (signal " + CashApprovalDecisionSignal +
	") or the expiry. Approved, it starts the movement's transfer as a workflow of its own (BankTransferId). " +
	"The state query answers its status and expiry."

// RegisterSummary is a registration's summary: "Registration opening a USD account". Whose it is
// stays in PostgreSQL.
func RegisterSummary(in RegisterInput) string {
	return fmt.Sprintf("Registration opening a %s account", in.Currency)
}

// Summaries of the schedules' runs.
const (
	MaintenanceSummary = "Chores: void expired holds, start stalled transfers, forget old Idempotency-Keys and live events"
	EmailsSummary      = "Send the emails waiting in the outbox"
)
