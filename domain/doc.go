// Package domain is the bank's vocabulary, shared by every layer from the SQL to the JSON: the
// states and kinds of users, accounts, holds and transfers (states.go), the reasons an operation is
// refused with one snake_case code each (codes.go), money in minor units (money.go) and as each
// locale writes it (moneyformat.go), the locales and kinds of emails (mail.go), and account
// numbers, their check digit and how new ones are drawn (accountnumber.go).
//
// It is a leaf: it imports nothing of the bank, so db, activities, workflows and api all speak it.
// The database stores these values as they are spelled here (sqlc maps each column to its type), and
// no other file of the bank spells one of them as a literal.
package domain
