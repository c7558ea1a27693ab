package db

import "testing"

func TestQueryName(t *testing.T) {
	for sql, want := range map[string][2]string{
		getAccount: {"GetAccount", "SELECT"},
		"-- name: InsertHold :exec\nINSERT INTO holds (id) VALUES ($1)": {"InsertHold", "INSERT"},
		"begin":                         {"BEGIN", "BEGIN"},
		"  commit ":                     {"COMMIT", "COMMIT"},
		"SELECT\n  1":                   {"SELECT", "SELECT"},
		"-- a note\nupdate x set y = 1": {"UPDATE", "UPDATE"},
		"":                              {"QUERY", "QUERY"},
	} {
		name, op := queryName(sql)
		if name != want[0] || op != want[1] {
			t.Errorf("queryName(%q) = %q, %q; want %q, %q", sql, name, op, want[0], want[1])
		}
	}
}
