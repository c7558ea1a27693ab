// Package envconfig reads typed settings from the environment and collects every problem, so a
// misconfigured process stops at start with one clear message naming each bad variable.
package envconfig

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables through lookup (os.LookupEnv in production).
type Reader struct {
	lookup  func(string) (string, bool)
	environ func() []string
	errs    []error
}

// New returns a Reader over lookup; nil means the process environment.
func New(lookup func(string) (string, bool)) *Reader {
	if lookup == nil {
		return &Reader{lookup: os.LookupEnv, environ: os.Environ}
	}
	return &Reader{lookup: lookup, environ: func() []string { return nil }}
}

// LookupEnv returns a variable exactly as it is set, for a library that reads its own settings
// (Temporal's client configuration); with Environ, a Reader is such a library's environment.
func (r *Reader) LookupEnv(name string) (string, bool) { return r.lookup(name) }

// Environ lists the process environment as NAME=value, or nothing when the Reader reads another
// lookup than the process's.
func (r *Reader) Environ() []string { return r.environ() }

func (r *Reader) get(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// String returns the variable or def.
func (r *Reader) String(name, def string) string {
	if v, ok := r.get(name); ok {
		return v
	}
	return def
}

// Secret returns a required secret of at least minLen bytes.
func (r *Reader) Secret(name string, minLen int) string {
	v, ok := r.get(name)
	switch {
	case !ok:
		r.errs = append(r.errs, fmt.Errorf("%s is required (at least %d random bytes, e.g. from `openssl rand -base64 48`)", name, minLen))
	case len(v) < minLen:
		r.errs = append(r.errs, fmt.Errorf("%s is too short: it must be at least %d bytes", name, minLen))
	case secretBits(v) < minSecretBits:
		r.errs = append(r.errs, fmt.Errorf("%s looks guessable (about %.0f bits: repeated characters or words); use random bytes, e.g. from `openssl rand -base64 48`", name, secretBits(v)))
	}
	return v
}

// minSecretBits is the least entropy estimate a secret may show. 24 random bytes in base64 (the
// shortest secret the 32-byte minimum allows) estimate at about 145; "password" six times, 128.
const minSecretBits = 136

// secretBits estimates the entropy of v two ways and keeps the lower: its characters' frequencies
// (Shannon entropy per character times length), and its size once compressed, which catches
// repeated words that the frequencies miss. Random bytes in base64 or hex score well above
// minSecretBits; a repeated character or word scores far below.
func secretBits(v string) float64 {
	counts := map[rune]float64{}
	n := 0.0
	for _, c := range v {
		counts[c]++
		n++
	}
	shannon := 0.0
	for _, k := range counts {
		p := k / n
		shannon -= p * math.Log2(p)
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = w.Write([]byte(v))
	_ = w.Close()
	return math.Min(shannon*n, float64(8*buf.Len()))
}

// Prefixes returns the variable as a comma-separated list of CIDR prefixes (or single addresses),
// or none when it is unset.
func (r *Reader) Prefixes(name string) []netip.Prefix {
	v, ok := r.get(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: %q is not a CIDR prefix such as 10.0.0.0/8", name, part))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// ListenAddr returns the variable as a host:port to listen on (port 0 takes a free one), or def
// when it is unset. Set empty or to "off", it returns "": the listener is off.
func (r *Reader) ListenAddr(name, def string) string {
	raw, set := r.lookup(name)
	v := strings.TrimSpace(raw)
	switch {
	case !set:
		return def
	case v == "" || strings.EqualFold(v, "off"):
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		r.errs = append(r.errs, fmt.Errorf("%s must be host:port such as 127.0.0.1:9091 (or off), not %q", name, v))
		return def
	}
	return v
}

// Origins returns the variable as a comma-separated list of web origins (scheme://host[:port],
// http or https, nothing after the host), lower-cased as browsers send them, or def when it is
// unset.
func (r *Reader) Origins(name string, def []string) []string {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(part, "*") {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not an origin such as https://temporal.example.com:8233", name, part))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

// Int returns the variable as an integer within [lo, hi], or def.
func (r *Reader) Int(name string, def, lo, hi int) int {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.errs = append(r.errs, fmt.Errorf("%s must be an integer from %d to %d, not %q", name, lo, hi, v))
		return def
	}
	return n
}

// Int64 returns the variable as a non-negative 64-bit integer, or def.
func (r *Reader) Int64(name string, def int64) int64 {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s must be a non-negative integer, not %q", name, v))
		return def
	}
	return n
}

// Duration returns the variable as a duration within [lo, hi], or def.
func (r *Reader) Duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		r.errs = append(r.errs, fmt.Errorf("%s must be a duration from %s to %s such as 15m, not %q", name, lo, hi, v))
		return def
	}
	return d
}

// OneOf returns the variable, which must be one of allowed, or def.
func (r *Reader) OneOf(name, def string, allowed ...string) string {
	v := r.String(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.errs = append(r.errs, fmt.Errorf("%s must be one of %s, not %q", name, strings.Join(allowed, ", "), v))
	return def
}

// Fail records a problem that no single variable shows, such as two that do not go together.
func (r *Reader) Fail(err error) { r.errs = append(r.errs, err) }

// Err returns every problem found, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// LogLevel parses LOG_LEVEL-style names.
func (r *Reader) LogLevel(name string) slog.Level {
	switch r.OneOf(name, "info", "debug", "info", "warn", "error") {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Mask shows a secret's length only, for logging configuration.
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	return fmt.Sprintf("***(%d bytes)", len(secret))
}

// MaskURL hides the password of a URL-shaped connection string.
func MaskURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	creds, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	user, _, hasPass := strings.Cut(creds, ":")
	if !hasPass {
		return u
	}
	return scheme + "://" + user + ":***@" + host
}

// Bool returns the variable as a boolean (true/false, 1/0), or def.
func (r *Reader) Bool(name string, def bool) bool {
	v, ok := r.get(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true
	case "false", "0", "no":
		return false
	}
	r.errs = append(r.errs, fmt.Errorf("%s must be true or false, not %q", name, v))
	return def
}

// AmountsByCurrency returns the variable, comma-separated CODE=AMOUNT pairs such as
// USD=1000000,EUR=1000000 (amounts in minor units, each within [lo, hi]), laid over defs: a currency
// it leaves out keeps its default.
func (r *Reader) AmountsByCurrency(name string, defs map[string]int64, lo, hi int64) map[string]int64 {
	out := make(map[string]int64, len(defs))
	for code, n := range defs {
		out[code] = n
	}
	v, ok := r.get(name)
	if !ok {
		return out
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		code, amount, ok := strings.Cut(strings.TrimSpace(part), "=")
		code, amount = strings.TrimSpace(code), strings.TrimSpace(amount)
		n, err := strconv.ParseInt(amount, 10, 64)
		switch {
		case !ok || !isCurrencyCode(code):
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not CODE=AMOUNT, such as USD=1000000", name, part))
		case err != nil || n < lo || n > hi:
			r.errs = append(r.errs, fmt.Errorf("%s: %s's amount must be an integer of minor units from %d to %d, not %q", name, code, lo, hi, amount))
		case seen[code]:
			r.errs = append(r.errs, fmt.Errorf("%s names %s twice", name, code))
		default:
			seen[code] = true
			out[code] = n
		}
	}
	return out
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
