package seedscale

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/bankforge/bank/activities"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/workflows"
)

// Row kinds that key the ids derived from the seed.
const (
	idTransfer uint64 = iota + 1
	idLedgerTransaction
	idFreeze
	idRequest
)

// postedAfter is how long after its request a movement's postings are written.
const postedAfter = 5 * time.Millisecond

func micro(t int64) time.Time { return time.UnixMicro(t).UTC() }

// transferID is the id of the i-th movement's transfer.
func (p *plan) transferID(i int) uuid.UUID { return timeUUID(p.seed, idTransfer, i, p.moves[i].at) }

var moveKinds = [...]domain.TransferKind{mvDeposit: domain.KindDeposit, mvWithdrawal: domain.KindWithdrawal, mvTransfer: domain.KindTransfer}

var moveStatuses = [...]domain.TransferStatus{stCompleted: domain.TransferCompleted, stFailed: domain.TransferFailed, stCompensated: domain.TransferCompensated}

// load writes the plan with COPY: users, accounts, transfers, ledger transactions, postings and
// freezes, then the cash accounts' balances and the postings' id sequence.
func (p *plan) load(ctx context.Context, tx pgx.Tx, hash string, lastPosting int64, bar *progress, res *Result) error {
	copyRows := func(table string, columns []string, n int, row func(i int) []any) error {
		bar.begin(table, n)
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			for i < n {
				r := row(i)
				i++
				if i%4096 == 0 {
					bar.add(4096)
				}
				if r != nil {
					return r, nil
				}
			}
			return nil, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns, src); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		bar.add(n % 4096)
		bar.end()
		return nil
	}
	cash := 0
	for _, a := range p.accounts {
		if a.user < 0 {
			cash++
		}
	}

	err := copyRows("users", []string{"id", "email", "password_hash", "full_name", "role", "status", "locale", "created_at", "updated_at"},
		len(p.users), func(i int) []any {
			u := p.users[i]
			return []any{u.id, u.email, hash, u.name, domain.RoleClient, domain.UserActive, u.locale, micro(u.created), micro(u.created)}
		})
	if err != nil {
		return err
	}
	res.Customers = len(p.users)

	err = copyRows("accounts", []string{"id", "number", "user_id", "kind", "currency", "status", "balance", "created_at", "updated_at"},
		len(p.accounts)-cash, func(i int) []any {
			a := p.accounts[cash+i]
			status := domain.AccountActive
			if a.frozenAt != 0 {
				status = domain.AccountFrozen
				res.FrozenAccounts++
			}
			return []any{a.id, a.number, p.users[a.user].id, domain.AccountCustomer, seedCurrencies[a.cur].code, status, a.balance,
				micro(a.created), micro(max(a.created, a.frozenAt))}
		})
	if err != nil {
		return err
	}
	res.Accounts = len(p.accounts) - cash

	done := postedAfter.Microseconds()
	err = copyRows("transfers", []string{"id", "kind", "initiated_by", "from_account_id", "to_account_id", "amount", "currency",
		"description", "status", "failure_code", "failure_reason", "workflow_id", "created_at", "updated_at", "completed_at"},
		len(p.moves), func(i int) []any {
			m := p.moves[i]
			id := p.transferID(i)
			by := p.admin
			if m.kind == mvTransfer {
				by = p.users[p.accounts[m.from].user].id
			}
			var code *domain.Code
			var reason *string
			switch m.status {
			case stFailed:
				code, reason = ptr(domain.CodeInsufficientFunds), ptr("the source account's available balance does not cover the amount")
			case stCompensated:
				code, reason = ptr(domain.CodeHoldExpired), ptr("the hold expired before the transfer posted")
				if to := p.accounts[m.to]; to.frozenAt != 0 && m.at >= to.frozenAt {
					code, reason = ptr(domain.CodeAccountFrozen), ptr("the destination account is frozen")
				}
			}
			end := micro(m.at + done)
			return []any{id, moveKinds[m.kind], by, p.accounts[m.from].id, p.accounts[m.to].id, m.amount,
				seedCurrencies[p.accounts[m.from].cur].code, descriptions[m.desc], moveStatuses[m.status], code, reason,
				workflows.TransferWorkflowID(id.String()), micro(m.at), end, end}
		})
	if err != nil {
		return err
	}
	res.Transfers = len(p.moves)

	// The completed movements, in order: the k-th is ledger transaction k, postings 2k+1 and 2k+2.
	completed := make([]int32, 0, p.postings/2)
	for i, m := range p.moves {
		if m.status == stCompleted {
			completed = append(completed, int32(i))
		}
	}
	err = copyRows("ledger_transactions", []string{"id", "operation_id", "transfer_id", "description", "created_at"},
		len(completed), func(k int) []any {
			i := int(completed[k])
			m := p.moves[i]
			id := p.transferID(i)
			return []any{timeUUID(p.seed, idLedgerTransaction, k, m.at+done), activities.PostingOperationID(id), id,
				descriptions[m.desc], micro(m.at + done)}
		})
	if err != nil {
		return err
	}

	balances := make([]int64, len(p.accounts))
	for i, a := range p.accounts {
		balances[i] = a.start
	}
	err = copyRows("postings", []string{"id", "transaction_id", "account_id", "amount", "currency", "balance_after", "created_at"},
		2*len(completed), func(j int) []any {
			k := j / 2
			m := p.moves[completed[k]]
			acc, amount := m.from, -m.amount
			if j%2 == 1 {
				acc, amount = m.to, m.amount
			}
			balances[acc] += amount
			a := p.accounts[acc]
			return []any{lastPosting + int64(j) + 1, timeUUID(p.seed, idLedgerTransaction, k, m.at+done), a.id, amount,
				seedCurrencies[a.cur].code, balances[acc], micro(m.at + done)}
		})
	if err != nil {
		return err
	}
	res.Postings = 2 * len(completed)
	for i, a := range p.accounts {
		if balances[i] != a.balance {
			return fmt.Errorf("account %s: postings end at %d, the plan at %d", a.number, balances[i], a.balance)
		}
	}

	var frozen []int
	for i, a := range p.accounts {
		if a.frozenAt != 0 {
			frozen = append(frozen, i)
		}
	}
	err = copyRows("freezes", []string{"id", "account_id", "seq", "reason", "note", "scope", "frozen_by", "status", "frozen_at",
		"balance_at_freeze", "workflow_id", "created_at"},
		len(frozen), func(k int) []any {
			a := p.accounts[frozen[k]]
			scope := domain.FreezeFull
			if a.debitOnly {
				scope = domain.FreezeDebit
			}
			return []any{timeUUID(p.seed, idFreeze, k, a.frozenAt), a.id, 1, a.reason, "seeded freeze", scope, p.admin,
				domain.FreezeActive, micro(a.frozenAt), a.atFreeze, fmt.Sprintf("freeze-%s-1", a.id), micro(a.frozenAt - int64(time.Second/time.Microsecond))}
		})
	if err != nil {
		return err
	}

	for _, a := range p.accounts[:cash] {
		if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = $2, updated_at = now() WHERE id = $1", a.id, a.balance); err != nil {
			return fmt.Errorf("update cash account %s: %w", a.number, err)
		}
	}
	if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('postings', 'id'), GREATEST((SELECT max(id) FROM postings), 1))"); err != nil {
		return fmt.Errorf("advance the postings' ids: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
