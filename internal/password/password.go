// Package password hashes passwords with argon2id and judges new ones against the bank's policy.
package password

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Length bounds, in characters. Every character counts: nothing is truncated.
const (
	MinLength = 12
	MaxLength = 128
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
	// MaxConcurrent bounds how many hashes are computed at once, each holding Memory KiB; further
	// callers wait their turn. Zero means one per CPU (GOMAXPROCS).
	MaxConcurrent int
}

// DefaultParams meet OWASP's argon2id minimum (19 MiB, two passes, one lane).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Hasher hashes and verifies passwords.
type Hasher struct {
	params Params
	dummy  string
	slots  chan struct{} // one per hash that may be computed at once

	inFlight, peak atomic.Int32 // hashes being computed now, and the most ever at once
}

// NewHasher returns a Hasher using p.
func NewHasher(p Params) *Hasher {
	n := p.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, slots: make(chan struct{}, n)}
	h.dummy, _ = h.Hash("a password nobody has, to spend the same time on unknown users")
	return h
}

// Hash returns the PHC-formatted argon2id hash of pw with a fresh random salt.
func (h *Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := h.idKey([]byte(pw), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.Memory, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, in time independent of where they differ.
func (h *Hasher) Verify(encoded, pw string) (bool, error) {
	var version int
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("parse argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("decode salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("decode key: %w", err)
	}
	if p.Memory > maxMemory || p.Time > maxTime || p.Threads == 0 || p.Threads > maxThreads {
		return false, errors.New("argon2 parameters out of bounds")
	}
	got := h.idKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Bounds on the parameters a stored hash may ask Verify for, so that no stored row can make one
// verification cost more than a few times the default.
const (
	maxMemory  = 256 * 1024
	maxTime    = 16
	maxThreads = 16
)

// idKey computes argon2id once a slot is free, so that at most MaxConcurrent hashes hold their
// memory at once.
func (h *Hasher) idKey(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	n := h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	for {
		p := h.peak.Load()
		if n <= p || h.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return argon2.IDKey(pw, salt, time, memory, threads, keyLen)
}

// SpendVerifyTime does the work of one verification against a hash of no user, so that a login for
// an unknown email takes as long as one with a wrong password.
func (h *Hasher) SpendVerifyTime(pw string) {
	_, _ = h.Verify(h.dummy, pw)
}

//go:embed common.txt
var commonList []byte

var common = func() map[string]struct{} {
	m := map[string]struct{}{}
	s := bufio.NewScanner(bytes.NewReader(commonList))
	for s.Scan() {
		if w := strings.TrimSpace(s.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
}()

// Check judges a new password and returns a message a person can act on, or "" when it is
// acceptable. email, when given, must not be the password's main content.
func Check(pw, email string) string {
	if !utf8.ValidString(pw) {
		return "must be valid UTF-8 text"
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Sprintf("must be at least %d characters long", MinLength)
	case n > MaxLength:
		return fmt.Sprintf("must be at most %d characters long", MaxLength)
	}
	for _, r := range pw {
		if unicode.IsControl(r) {
			return "must not contain control characters"
		}
	}
	lower := strings.ToLower(pw)
	if _, ok := common[lower]; ok {
		return "is too common; choose one that is not on lists of leaked passwords"
	}
	if distinct(lower) < 5 {
		return "is too repetitive; use more different characters"
	}
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 4 && strings.Contains(lower, local) {
		return "must not contain your email address"
	}
	return ""
}

func distinct(s string) int {
	seen := map[rune]struct{}{}
	for _, r := range s {
		seen[r] = struct{}{}
	}
	return len(seen)
}
