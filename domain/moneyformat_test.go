package domain_test

import (
	"testing"

	"github.com/bankforge/bank/domain"
)

func TestFormatMoney_PerCurrencyAndLocale(t *testing.T) {
	t.Parallel()
	cases := []struct {
		minor    int64
		exponent int
		currency string
		locale   domain.Locale
		want     string
	}{
		{123456, 2, "EUR", domain.LocaleSpanish, "1.234,56 €"},
		{123456, 2, "EUR", domain.LocaleEnglish, "€1,234.56"},
		{123456, 2, "USD", domain.LocaleEnglish, "$1,234.56"},
		{123456, 2, "USD", domain.LocaleSpanish, "1.234,56 US$"},
		{123456700, 2, "COP", domain.LocaleSpanish, "COP 1.234.567"},
		{123456700, 2, "COP", domain.LocaleEnglish, "COP 1,234,567"},
		{123456750, 2, "COP", domain.LocaleSpanish, "COP 1.234.567,50"}, // cents shown when there are some
		{1235, 0, "JPY", domain.LocaleEnglish, "¥1,235"},
		{1235, 0, "JPY", domain.LocaleSpanish, "1.235 ¥"},
		{5, 0, "JPY", domain.LocaleEnglish, "¥5"},
		{5, 2, "USD", domain.LocaleEnglish, "$0.05"},
		{5, 2, "EUR", domain.LocaleSpanish, "0,05 €"},
		{100, 2, "USD", domain.LocaleEnglish, "$1.00"},
		{99999, 2, "USD", domain.LocaleEnglish, "$999.99"},
		{100000, 2, "USD", domain.LocaleEnglish, "$1,000.00"},
		{-123456, 2, "USD", domain.LocaleEnglish, "-$1,234.56"},
		{-123456, 2, "EUR", domain.LocaleSpanish, "-1.234,56 €"},
		{domain.MaxAmount, 2, "USD", domain.LocaleEnglish, "$10,000,000,000,000.00"},
		{123456, 2, "GBP", domain.LocaleEnglish, "GBP 1,234.56"},
		{123456, 2, "GBP", domain.LocaleSpanish, "1.234,56 GBP"},
		{123456, 2, "USD", domain.Locale("fr"), "$1,234.56"}, // an unknown locale reads as English
	}
	for _, c := range cases {
		if got := domain.FormatMoney(c.minor, c.exponent, c.currency, c.locale); got != c.want {
			t.Errorf("FormatMoney(%d, %d, %s, %s) = %q; want %q", c.minor, c.exponent, c.currency, c.locale, got, c.want)
		}
	}
}
