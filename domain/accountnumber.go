package domain

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"strconv"
)

// An account number is what customers give each other to be paid, so it must not tell anything of
// the other numbers: 12 decimal digits, the first 11 drawn uniformly at random (the first of them
// never 0, so that no spreadsheet or phone keypad drops it), the last a Luhn check digit (ISO/IEC
// 7812-1 "mod 10", the check digit of payment cards), which catches every single mistyped digit and
// every swap of two adjacent digits except 09/90. Drawn from 9*10^10 values, a guessed number names
// an account about once in 90,000 guesses per million accounts.
//
// The accounts opened before numbers were random keep theirs, as a bank never renumbers an account
// (its number is on mandates, payroll records and other banks' payee lists): 9 digits, a sequence
// value from 10000001 followed by a Luhn check digit. Both shapes are valid account numbers; no
// other shape is, and new numbers are always 12 digits.
const (
	AccountNumberDigits       = 12
	legacyAccountNumberDigits = 9
)

// accountNumberBodies is how many values the 11 digits before the check digit can take.
var accountNumberBodies = big.NewInt(9e10)

// NewAccountNumber draws a new account number from random, which must be a cryptographically secure
// source (crypto/rand.Reader) outside of tests.
func NewAccountNumber(random io.Reader) (string, error) {
	n, err := rand.Int(random, accountNumberBodies)
	if err != nil {
		return "", fmt.Errorf("draw an account number: %w", err)
	}
	body := strconv.FormatInt(1e10+n.Int64(), 10)
	return body + string(luhnCheckDigit(body)), nil
}

// ValidAccountNumber reports whether s has the shape of an account number the bank issues or has
// issued, its check digit included: 12 digits, or the first accounts' 9, the first digit not 0.
// Nothing else is looked up.
func ValidAccountNumber(s string) bool {
	if len(s) != AccountNumberDigits && len(s) != legacyAccountNumberDigits {
		return false
	}
	if s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return luhnCheckDigit(s[:len(s)-1]) == s[len(s)-1]
}

// luhnCheckDigit is the Luhn check digit ('0' to '9') to append to digits, which must all be ASCII
// digits: from the right, every other digit starting with the last is doubled (less 9 when over 9),
// and the check digit brings the sum to a multiple of 10.
func luhnCheckDigit(digits string) byte {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}
