package domain

import (
	"strconv"
	"strings"
)

// How a locale writes numbers: its thousands separator and decimal mark.
var numberMarks = map[Locale]struct{ group, decimal string }{
	LocaleEnglish: {",", "."},
	LocaleSpanish: {".", ","},
}

// currencySign is how a locale shows a currency: a sign written before or after the number.
type currencySign struct {
	sign   string
	before bool
}

// currencySigns lists the signs of the bank's currencies per locale; any other currency is written
// with its code, before the number in English and after it in Spanish.
var currencySigns = map[Locale]map[string]currencySign{
	LocaleEnglish: {
		"USD": {"$", true},
		"EUR": {"€", true},
		"JPY": {"¥", true},
		"COP": {"COP ", true},
	},
	LocaleSpanish: {
		"USD": {" US$", false},
		"EUR": {" €", false},
		"JPY": {" ¥", false},
		// As Colombia writes its pesos.
		"COP": {"COP ", true},
	},
}

// wholeUnitCurrencies are written without their decimals when those are zero, as prices in them
// are: COP 1.234.567 rather than COP 1.234.567,00.
var wholeUnitCurrencies = map[string]bool{"COP": true}

// FormatMoney writes an amount of minor units of a currency with exponent decimals as a reader of
// locale l expects it: $1,234.56 and 1.234,56 € in English and Spanish, COP 1.234.567, ¥1,235. An
// unknown locale is written as English.
func FormatMoney(minor int64, exponent int, currency string, l Locale) string {
	marks, ok := numberMarks[l]
	if !ok {
		l = DefaultLocale
		marks = numberMarks[l]
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", 0-uint64(minor)
	}
	digits := strconv.FormatUint(u, 10)
	if exponent < 0 {
		exponent = 0
	}
	if len(digits) <= exponent {
		digits = strings.Repeat("0", exponent-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-exponent], digits[len(digits)-exponent:]
	if wholeUnitCurrencies[currency] && strings.Trim(frac, "0") == "" {
		frac = ""
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(marks.group)
		}
		b.WriteRune(c)
	}
	number := b.String()
	if frac != "" {
		number += marks.decimal + frac
	}
	cs, ok := currencySigns[l][currency]
	if !ok {
		cs = currencySign{sign: " " + currency, before: false}
		if l == LocaleEnglish {
			cs = currencySign{sign: currency + " ", before: true}
		}
	}
	if cs.before {
		return sign + cs.sign + number
	}
	return sign + number + cs.sign
}
