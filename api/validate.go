package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/bankforge/bank/domain"
)

// validator collects field errors so a request learns all its problems at once.
type validator struct{ fields []FieldError }

func (v *validator) add(field, msg string) {
	v.fields = append(v.fields, FieldError{Field: field, Message: msg})
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return fieldErrors(v.fields...)
}

var (
	emailDomainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	emailLocalRe  = regexp.MustCompile(`^[a-z0-9!#$%&'*+/=?^_{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)
	phoneRe       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	currencyRe    = regexp.MustCompile(`^[A-Z]{3}$`)
)

// normaliseEmail trims and lower-cases an email address.
func normaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// maxEmailBytes is the longest address mail systems accept.
const maxEmailBytes = 254

// checkEmail validates a normalised address: a plain addr-spec with a dotted domain, no display
// name, comments or quoted parts, within the lengths mail systems accept.
func checkEmail(email string) string {
	if email == "" {
		return "is required"
	}
	if len(email) > maxEmailBytes {
		return fmt.Sprintf("must be at most %d characters", maxEmailBytes)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "must be a valid email address such as name@example.com"
	}
	local, domainPart, _ := strings.Cut(email, "@")
	if len(local) > 64 || !emailLocalRe.MatchString(local) || !emailDomainRe.MatchString(domainPart) {
		return "must be a valid email address such as name@example.com"
	}
	return ""
}

// checkName validates a person's name: 1 to 100 printable characters.
func checkName(s string) string {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "is required"
	case n > 100:
		return "must be at most 100 characters"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "must contain only printable characters"
		}
	}
	return ""
}

// checkPhone validates an E.164 phone number such as +573001234567.
func checkPhone(s string) string {
	if !phoneRe.MatchString(s) {
		return "must be an international number such as +573001234567"
	}
	return ""
}

// checkText validates free text up to max characters.
func checkText(s string, max int) string {
	if utf8.RuneCountInString(s) > max {
		return "must be at most " + strconv.Itoa(max) + " characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	return ""
}

// currency looks up a supported currency; it reports the field message when unsupported.
func (s *server) currency(code string) (exponent int, msg string) {
	if !currencyRe.MatchString(code) {
		return 0, "must be an ISO 4217 code such as USD"
	}
	exp, ok := s.currencies[code]
	if !ok {
		return 0, "is not a supported currency"
	}
	return exp, ""
}

// parseAmount reads an amount given as a JSON integer of minor units or a decimal string in the
// currency's major unit. A JSON number counts as an integer exactly when JSON Schema's "integer"
// says so: when its value is whole, however it is written (1234, 1234.0, 1.234e3). A number with
// a fraction (12.34), a sign, zero, null or anything else is refused.
func parseAmount(raw json.RawMessage, exponent int) (int64, string) {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return 0, "is required"
	case s[0] == '"':
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, "must be an integer of minor units or a decimal string"
		}
		v, err := domain.ParseDecimal(str, exponent)
		if err != nil {
			return 0, amountMessage(err)
		}
		return v, ""
	case s[0] == '-':
		return 0, "must be greater than zero"
	}
	v, msg := wholeNumber(s)
	if msg != "" {
		return 0, msg
	}
	if v == 0 {
		return 0, "must be greater than zero"
	}
	return v, ""
}

// jsonNumberRe is JSON's grammar of a non-negative number, in parts: digits, fraction, exponent.
var jsonNumberRe = regexp.MustCompile(`^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)

// wholeNumber returns the value of the JSON number s when it is a whole number that fits in an
// int64, working on its digits so that no float ever rounds it and no exponent makes it costly.
func wholeNumber(s string) (int64, string) {
	const notWhole = "must be a whole number of minor units (or a decimal string such as \"12.34\"); never a fraction"
	m := jsonNumberRe.FindStringSubmatch(s)
	if m == nil || len(s) > 64 {
		return 0, notWhole
	}
	digits := strings.TrimLeft(m[1]+m[2], "0")
	point := len(m[1]) - (len(m[1]+m[2]) - len(digits)) // digits before the decimal point
	if m[3] != "" {
		e, err := strconv.Atoi(m[3])
		if err != nil || e > 40 || e < -40 {
			if digits == "" {
				return 0, ""
			}
			if e > 0 {
				return 0, "is too large"
			}
			return 0, notWhole
		}
		point += e
	}
	if digits == "" {
		return 0, ""
	}
	if point < len(digits) {
		if strings.Trim(digits[max(point, 0):], "0") != "" {
			return 0, notWhole
		}
		digits = digits[:max(point, 0)]
	} else {
		if point > 19 {
			return 0, "is too large"
		}
		digits += strings.Repeat("0", point-len(digits))
	}
	if digits == "" {
		return 0, ""
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, "is too large"
	}
	return v, ""
}

func amountMessage(err error) string {
	switch {
	case errors.Is(err, domain.ErrAmountPrecision):
		return "has more decimals than the currency allows"
	case errors.Is(err, domain.ErrAmountRange):
		return "is too large"
	case errors.Is(err, domain.ErrAmountNotPositive):
		return "must be greater than zero"
	default:
		return "must be an integer of minor units or a decimal string such as \"12.34\""
	}
}

// parseID parses a path or body id; a malformed id is reported like an unknown one.
func parseID(s string) (uuid.UUID, bool) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.UUID{}, false
	}
	return id, true
}
