package api

import (
	"testing"

	"github.com/bankforge/bank/domain"
)

func TestPreferredLocale_FromAcceptLanguage(t *testing.T) {
	t.Parallel()
	cases := map[string]domain.Locale{
		"":                        domain.LocaleEnglish,
		"es":                      domain.LocaleSpanish,
		"es-CO,es;q=0.9,en;q=0.8": domain.LocaleSpanish,
		"ES-es":                   domain.LocaleSpanish,
		"en-US,en;q=0.9,es;q=0.8": domain.LocaleEnglish,
		"fr-FR,fr;q=0.9,es;q=0.5": domain.LocaleSpanish,
		"fr-FR,de":                domain.LocaleEnglish,
		"en;q=0.2, es;q=0.7":      domain.LocaleSpanish,
		"es;q=0, en":              domain.LocaleEnglish,
		"es;q=0":                  domain.LocaleEnglish,
		"*":                       domain.LocaleEnglish,
		"es;q=abc, en;q=0.1":      domain.LocaleEnglish,
		"es;q=2":                  domain.LocaleEnglish,
		"en, es":                  domain.LocaleEnglish, // a tie goes to the first
		"spanish":                 domain.LocaleEnglish,
		"es_CO":                   domain.LocaleEnglish, // not a language tag
	}
	for header, want := range cases {
		if got := preferredLocale(header); got != want {
			t.Errorf("preferredLocale(%q) = %s; want %s", header, got, want)
		}
	}
}
