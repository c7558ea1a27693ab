package db

import (
	"context"
	"fmt"
)

// ClaimLoginAttemptTx runs ClaimLoginAttempt in a transaction of its own whose commit does not wait
// for the disk (synchronous_commit off). Counting an attempt then costs what a claim that matches no
// row costs, so that a login refused for an email without an account, which claims for an id no
// user has, takes as long as one refused for a wrong password. A crash of the database may forget
// the claims of its last fraction of a second; nothing else about the lock changes.
func (s *Store) ClaimLoginAttemptTx(ctx context.Context, arg ClaimLoginAttemptParams) (int32, error) {
	var failed int32
	err := s.InTx(ctx, func(q *Queries) error {
		if _, err := q.db.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return fmt.Errorf("set synchronous_commit: %w", err)
		}
		var err error
		failed, err = q.ClaimLoginAttempt(ctx, arg)
		return err
	})
	return failed, err
}
