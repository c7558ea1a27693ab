package domain

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// MaxAmount is the largest amount one movement of money may carry, in minor units (10 trillion
// in a currency with two decimals). A balance would need over 9,000 movements this large to reach
// int64's limit.
const MaxAmount int64 = 1_000_000_000_000_000

// MaxBalance is the largest balance a customer account may hold, in minor units: 2^53 - 1, the
// largest integer a JavaScript number holds exactly. With amounts bounded by MaxAmount, every
// amount and balance the API shows a customer reads exactly as a JSON number in a browser.
const MaxBalance int64 = 1<<53 - 1

// Amount parsing errors.
var (
	ErrAmountFormat      = errors.New("amount must be a positive integer of minor units or a decimal string such as \"12.34\"")
	ErrAmountPrecision   = errors.New("amount has more decimals than the currency allows")
	ErrAmountRange       = errors.New("amount is too large")
	ErrAmountNotPositive = errors.New("amount must be greater than zero")
)

// ParseDecimal converts a decimal string such as "12.34" into minor units of a currency with the
// given exponent (number of decimals). It accepts only digits with at most one point: no sign, no
// exponent, no spaces, and never more decimals than the currency has.
func ParseDecimal(s string, exponent int) (int64, error) {
	if s == "" || len(s) > 40 {
		return 0, ErrAmountFormat
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return 0, ErrAmountFormat
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, ErrAmountFormat
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exponent {
		return 0, ErrAmountPrecision
	}
	digits := strings.TrimLeft(whole, "0") + frac + strings.Repeat("0", exponent-len(frac))
	var v int64
	for _, c := range digits {
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, ErrAmountRange
		}
		v = v*10 + d
	}
	if v == 0 {
		return 0, ErrAmountNotPositive
	}
	return v, nil
}

// FormatMinor renders minor units as a decimal string with the currency's number of decimals.
func FormatMinor(v int64, exponent int) string {
	sign, u := "", uint64(v)
	if v < 0 {
		sign, u = "-", 0-uint64(v)
	}
	s := strconv.FormatUint(u, 10)
	if exponent <= 0 {
		return sign + s
	}
	if len(s) <= exponent {
		s = strings.Repeat("0", exponent-len(s)+1) + s
	}
	return sign + s[:len(s)-exponent] + "." + s[len(s)-exponent:]
}
