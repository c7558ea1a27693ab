package domain

import (
	"bytes"
	"crypto/rand"
	"regexp"
	"testing"
)

func TestValidAccountNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"482130675945", true},
		{"100000000008", true}, // the smallest 12-digit number
		{"999999999991", true}, // the largest
		{"100000017", true},    // the first account opened from the sequence
		{"100000025", true},
		{"482130675946", false}, // wrong check digit
		{"482130675954", false}, // the last two digits swapped
		{"100000018", false},
		{"000000000018", false}, // check digit right, leading zero
		{"000000017", false},
		{"18", false},                  // check digit right, too short
		{"1234567897", false},          // 10 digits
		{"79927398713", false},         // 11 digits: the textbook Luhn example
		{"1000000000000000009", false}, // 19 digits
		{"4821306759450", false},
		{"", false},
		{"4821 3067 5945", false},
		{" 48213067594", false},
		{"48213067594a", false},
		{"+48213067594", false},
		{"CASH-USD", false},
		{"١٢٣٤٥٦٧٨٩٠١٢", false},
	}
	for _, tt := range tests {
		if got := ValidAccountNumber(tt.in); got != tt.want {
			t.Errorf("ValidAccountNumber(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestLuhnCheckDigit(t *testing.T) {
	t.Parallel()
	// Published examples: ISO/IEC 7812-1's and the usual test card number.
	for digits, want := range map[string]byte{"7992739871": '3', "411111111111111": '1', "10000001": '7', "": '0'} {
		if got := luhnCheckDigit(digits); got != want {
			t.Errorf("luhnCheckDigit(%q) = %c; want %c", digits, got, want)
		}
	}
}

func TestNewAccountNumber(t *testing.T) {
	t.Parallel()
	// The draw is the source's: all-zero bytes give the smallest number.
	if n, err := NewAccountNumber(bytes.NewReader(make([]byte, 64))); err != nil || n != "100000000008" {
		t.Fatalf("NewAccountNumber(zeros) = %q, %v; want 100000000008", n, err)
	}
	// A source that runs dry is an error, not a short or predictable number.
	if n, err := NewAccountNumber(bytes.NewReader([]byte{1, 2})); err == nil {
		t.Fatalf("NewAccountNumber(2 bytes) = %q; want an error", n)
	}
	seen := map[string]bool{}
	firsts := map[byte]bool{}
	for range 2000 {
		n, err := NewAccountNumber(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != AccountNumberDigits || !ValidAccountNumber(n) {
			t.Fatalf("NewAccountNumber() = %q; want a valid 12-digit number", n)
		}
		if seen[n] {
			t.Fatalf("%s drawn twice in 2000 draws from 9*10^10", n)
		}
		seen[n] = true
		firsts[n[0]] = true
	}
	if len(firsts) != 9 {
		t.Fatalf("2000 numbers start with only %d different digits; want all of 1-9", len(firsts))
	}
}

// referenceShape and referenceLuhn restate the rules another way than the code: the whole
// number's Luhn sum, check digit included, is a multiple of 10.
var referenceShape = regexp.MustCompile(`^[1-9]([0-9]{8}|[0-9]{11})$`)

func referenceLuhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d = []int{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}[d]
		}
		sum += d
	}
	return sum%10 == 0
}

// FuzzAccountNumber: the check agrees with the rules restated; a valid number with any one digit
// changed, or two adjacent different digits swapped (but 0 and 9, which Luhn cannot tell apart),
// is refused; and any source of bytes draws a valid 12-digit number or fails.
func FuzzAccountNumber(f *testing.F) {
	for _, s := range []string{"482130675945", "100000017", "482130675946", "000000000018", "18", "CASH-USD", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		valid := ValidAccountNumber(s)
		if want := referenceShape.MatchString(s) && referenceLuhn(s); valid != want {
			t.Fatalf("ValidAccountNumber(%q) = %v; the rules say %v", s, valid, want)
		}
		if valid {
			for i := range len(s) {
				for d := byte('0'); d <= '9'; d++ {
					if d == s[i] {
						continue
					}
					typo := []byte(s)
					typo[i] = d
					if ValidAccountNumber(string(typo)) {
						t.Fatalf("%s, a typo of %s, is valid", typo, s)
					}
				}
				if i+1 < len(s) && s[i] != s[i+1] && !(s[i]+s[i+1] == '0'+'9') {
					swapped := []byte(s)
					swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
					if ValidAccountNumber(string(swapped)) {
						t.Fatalf("%s, %s with two digits swapped, is valid", swapped, s)
					}
				}
			}
		}
		n, err := NewAccountNumber(bytes.NewReader([]byte(s)))
		if err == nil && (len(n) != AccountNumberDigits || !ValidAccountNumber(n)) {
			t.Fatalf("NewAccountNumber(%q) = %q; want a valid 12-digit number", s, n)
		}
	})
}
