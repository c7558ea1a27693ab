package api

import (
	"slices"
	"strconv"
	"strings"

	"github.com/bankforge/bank/domain"
)

// checkLocale validates a locale a client names.
func checkLocale(s string) string {
	if !domain.Locale(s).Valid() {
		return "must be one of " + strings.Join(localeNames(), ", ")
	}
	return ""
}

func localeNames() []string {
	out := make([]string, len(domain.Locales))
	for i, l := range domain.Locales {
		out[i] = string(l)
	}
	return out
}

// preferredLocale picks, from an Accept-Language header, the bank's locale the client prefers: the
// language ranges' primary subtags, by weight, the first listed winning a tie ("es-CO,es;q=0.9,en"
// is Spanish). With none the bank writes, the default.
func preferredLocale(header string) domain.Locale {
	best, bestQ := domain.DefaultLocale, 0.0
	for i, part := range strings.Split(header, ",") {
		if i >= 32 {
			break // a header this long is not a person's preference
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if name, value, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(name), "q") {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			q = v
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		l := domain.Locale(primary)
		if q > bestQ && slices.Contains(domain.Locales, l) {
			best, bestQ = l, q
		}
	}
	return best
}
