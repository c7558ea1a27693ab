package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// Every decoder refuses bad bodies with a 4xx problem and never panics.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"from_account_id":"x","to_account_id":"y","amount":1,"currency":"USD"}`,
		`{"amount":1,"Amount":1000000}`, `{"amount":1e400}`, `[]`, `{"a":`, `{} {}`, `null`,
		`{"email":"a@b.co","password":"p","full_name":"n","phone":null,"currency":"USD"}`,
		"{\"amount\":\"\u0000\"}", `{"description":"` + string(make([]byte, 100)) + `"}`,
		`{"reason":"other","note":"n","until":"2030-01-01T00:00:00Z","scope":"debit"}`, `{"until":null,"note":5}`,
		`{"email":{"deposit":false,"transfer_received":true}}`, `{"email":{"deposit":false,"deposit":true}}`,
		`{"email":{"deposit":null}}`, `{"email":[{"deposit":false}]}`, `{"email":{"":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&transferRequest{}, &registerRequest{}, &loginRequest{}, &updateMeRequest{},
			&cashMovementRequest{}, &changePasswordRequest{}, &refreshRequest{}, &openAccountRequest{},
			&freezeRequest{}, &unfreezeRequest{}, &updateNotificationSettingsRequest{}} {
			err := decodeStrict(body, dst)
			if err == nil {
				continue
			}
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("%T: %v is not a problem", dst, err)
			}
			if status := problemKinds[ae.code].status; status < 400 || status > 499 {
				t.Fatalf("%T: code %s answers %d", dst, ae.code, status)
			}
		}
	})
}

// Amounts are positive int64 minor units whatever the input; anything else is a message. A JSON
// number is taken exactly at its value: whole, never rounded.
func FuzzParseAmount(f *testing.F) {
	for _, seed := range []string{`1`, `"12.34"`, `12.5`, `-1`, `0`, `"0.001"`, `9223372036854775807`,
		`9223372036854775808`, `null`, `"1e3"`, `true`, `{}`, `"１２"`, `1e3`, `12.0`, `0.05e2`, `1e999999999`} {
		f.Add(seed, 2)
	}
	f.Fuzz(func(t *testing.T, raw string, exponent int) {
		exponent = ((exponent % 5) + 5) % 5
		v, msg := parseAmount(json.RawMessage(raw), exponent)
		if msg == "" && v <= 0 {
			t.Fatalf("parseAmount(%s) = %d with no message", raw, v)
		}
		if msg != "" && v != 0 {
			t.Fatalf("parseAmount(%s) = %d with message %q", raw, v, msg)
		}
		if s := strings.TrimSpace(raw); msg == "" && s != "" && s[0] != '"' {
			want, ok := new(big.Rat).SetString(s)
			if !ok || want.Cmp(new(big.Rat).SetInt64(v)) != 0 {
				t.Fatalf("parseAmount(%s) = %d; the number's value is %v", raw, v, want)
			}
		}
	})
}

func TestParseAmount_WholeNumbersHoweverWritten(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]int64{`2550`: 2550, `2550.0`: 2550, `2.55e3`: 2550, `255000e-2`: 2550, `"25.50"`: 2550, `9223372036854775807`: 9223372036854775807} {
		if v, msg := parseAmount(json.RawMessage(raw), 2); v != want || msg != "" {
			t.Errorf("parseAmount(%s) = %d, %q; want %d", raw, v, msg, want)
		}
	}
	for _, raw := range []string{`25.5`, `2.5555e3`, `1e19`, `1e-3`, `0.0`, `0e9`, `-1`, `01`, `1.`, `.5`, `1e`, `9223372036854775808`} {
		if v, msg := parseAmount(json.RawMessage(raw), 2); msg == "" {
			t.Errorf("parseAmount(%s) = %d; want a refusal", raw, v)
		}
	}
}

// A bearer token authenticates only when it is, byte for byte, the one spelling of a token the API
// signed: what is accepted re-signs to itself. Anything else is refused, and nothing panics.
func FuzzAccessToken(f *testing.F) {
	s := &server{cfg: Config{JWTSecret: []byte("fuzz-secret-fuzz-secret-fuzz-secret!"), Issuer: "bank", Audience: "bank-api", AccessTTL: time.Minute}}
	good, err := s.issueAccessToken([16]byte{1}, [16]byte{2}, "client", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, good + "x", "a.b.c", "", "eyJhbGciOiJub25lIn0.e30.", good[:len(good)-2]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		claims, err := s.parseAccessToken(tok)
		if err != nil {
			return
		}
		again, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.cfg.JWTSecret)
		if err != nil || again != tok {
			t.Fatalf("token %q accepted, but the API would spell it %q", tok, again)
		}
	})
}

// A signature whose unused base64 bits are set decodes to the same bytes: without strict decoding it
// would be a second spelling of a valid token.
func TestAccessToken_OneSpellingOnly(t *testing.T) {
	t.Parallel()
	s := &server{cfg: Config{JWTSecret: []byte("fuzz-secret-fuzz-secret-fuzz-secret!"), Issuer: "bank", Audience: "bank-api", AccessTTL: time.Minute}}
	good, err := s.issueAccessToken([16]byte{1}, [16]byte{2}, "client", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	other := good[:len(good)-1] + string(alphabet[last^1]) // flips an unused bit of the 32-byte signature
	if _, err := s.parseAccessToken(good); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	if _, err := s.parseAccessToken(other); err == nil {
		t.Fatal("a second spelling of the signature was accepted")
	}
}

// The client's address is the TCP peer unless the peer is a trusted proxy; through one, it is a hop
// the header named, and never a trusted address when an untrusted hop was named.
func FuzzResolveClient(f *testing.F) {
	for _, seed := range [][2]string{
		{"203.0.113.7:5000", "198.51.100.1"}, {"10.1.2.3:5000", "6.6.6.6, 198.51.100.1"},
		{"10.1.2.3:5000", "not-an-ip"}, {"[fd00::1]:5000", "2001:db8::1, fd00::2"}, {"10.1.2.3:5000", ",,"},
		{"garbage", "1.2.3.4"}, {"10.1.2.3:5000", "::ffff:10.0.0.1"},
	} {
		f.Add(seed[0], seed[1])
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && (trusted[0].Contains(a.Unmap()) || trusted[1].Contains(a.Unmap()))
	}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		got := resolveClient(peer, []string{xff}, trusted)
		host := peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			host = h
		}
		if !isTrusted(host) {
			if got != host {
				t.Fatalf("untrusted peer %q, header %q: client %q; want the peer", peer, xff, got)
			}
			return
		}
		if got == host {
			return
		}
		named := false
		for _, hop := range strings.Split(xff, ",") {
			if strings.TrimSpace(hop) == got {
				named = true
			}
		}
		if !named || isTrusted(got) {
			t.Fatalf("peer %q, header %q: client %q is not an untrusted hop the header named", peer, xff, got)
		}
	})
}

// The codec's routes read Temporal's payloads strictly: any body is a list of payloads or a 4xx
// problem, never a panic, and what they answer reads back as the same payloads.
func FuzzReadPayloads(f *testing.F) {
	for _, seed := range []string{
		`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"azE="},"data":"AAEC"}]}`,
		`{"payloads":[]}`, `{}`, `{"payloads":null}`, `{"payloads":[{}]}`, `{"payloads":[{"data":"%%%"}]}`,
		`{"payloads":[],"payloads":[]}`, `{"Payloads":[]}`, `{"payloads":[{"externalPayloads":[{"sizeBytes":"12"}]}]}`,
		`{"payloads":[{"metadata":{"a":"YQ","a":"Yg"}}]}`, `[]`, `{"payloads":[`, `{} {}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		read := func(body []byte) ([]*commonpb.Payload, error) {
			r := httptest.NewRequest("POST", "/codec/decode", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return readPayloads(httptest.NewRecorder(), r)
		}
		ps, err := read(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("%v is not a problem", err)
			}
			if status := problemKinds[ae.code].status; status < 400 || status > 499 {
				t.Fatalf("code %s answers %d", ae.code, status)
			}
			return
		}
		w := httptest.NewRecorder()
		if err := writePayloads(w, ps); err != nil {
			t.Fatalf("write %v: %v", ps, err)
		}
		again, err := read(w.Body.Bytes())
		if err != nil || len(again) != len(ps) {
			t.Fatalf("the answer %s reads back as %v, %v", w.Body.Bytes(), again, err)
		}
		for i := range ps {
			if !proto.Equal(again[i], ps[i]) {
				t.Fatalf("payload %d: %v reads back as %v", i, ps[i], again[i])
			}
		}
	})
}
