package db

import "testing"

func TestIsRead(t *testing.T) {
	for sql, want := range map[string]bool{
		"-- name: GetAccount :one\nSELECT * FROM accounts WHERE id = $1":               true,
		"  select count(*) from users;":                                                true,
		"-- name: A :one\n-- two comment lines\nSELECT 1":                              true,
		"-- name: InsertX :exec\nINSERT INTO x VALUES (1)":                             false,
		"WITH d AS (DELETE FROM x RETURNING *) SELECT * FROM d":                        false,
		"SELECT pg_notify('transfer_finished', $1::text)":                              false,
		"SELECT pg_advisory_xact_lock(1)":                                              false,
		"SELECT nextval('s')":                                                          false,
		"SELECT * FROM freezes WHERE id = $1 FOR UPDATE":                               false,
		"SELECT 1; DELETE FROM x":                                                      false,
		"-- only a comment":                                                            false,
		"UPDATE accounts SET balance = 0 WHERE id = (SELECT id FROM accounts LIMIT 1)": false,
	} {
		if got := isRead(sql); got != want {
			t.Errorf("isRead(%q) = %v; want %v", sql, got, want)
		}
	}
}
