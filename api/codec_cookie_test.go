package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/bankforge/bank/domain"
)

// uiOrigin is the Temporal web UI's origin under `make dev`, one of the default CODEC_CORS_ORIGINS.
const uiOrigin = "http://localhost:8233"

// wantCodecCookie is the Set-Cookie line of the codec's cookie holding access for expiresIn seconds.
func wantCodecCookie(access string, expiresIn int, secure bool) string {
	sec := ""
	if secure {
		sec = "; Secure"
	}
	return "bank_codec=" + access + "; Path=/codec; Max-Age=" + strconv.Itoa(expiresIn) + "; HttpOnly" + sec + "; SameSite=Strict"
}

// tokenAnswer is a login's or a refresh's body.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	CSRFToken    string `json:"csrf_token"`
}

// A staff member's browser session holds its access token in the codec's cookie too: set at the
// login and at every refresh by cookie, with the token just issued, HttpOnly, SameSite=Strict, on
// /codec only, for the token's lifetime, and Secure as the session's other cookies are.
func TestCodecCookie_StaffBrowserSessionsGetIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, role := range []domain.Role{domain.RoleAdmin, domain.RoleSupport} {
		u := h.user(role)
		body := `{"email":"` + u.Email + `","password":"` + u.password + `","refresh_cookie":true}`
		for host, secure := range map[string]bool{"": false, "localhost:8080": false, "bank.example": true} {
			r := h.browser("POST", "/v1/auth/login", host, body, nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s login at %q: %d %s", role, host, r.status, r.body)
			}
			var got tokenAnswer
			r.json(t, &got)
			cookies := setCookies(r)
			if got.ExpiresIn != 900 || len(r.header.Values("Set-Cookie")) != 3 || cookies["bank_codec"] != wantCodecCookie(got.AccessToken, got.ExpiresIn, secure) {
				t.Fatalf("%s login at %q sets %q; want bank_codec %q", role, host, r.header.Values("Set-Cookie"), wantCodecCookie(got.AccessToken, got.ExpiresIn, secure))
			}
		}

		// Each refresh by cookie sets it again, with the new access token.
		s := h.browserLogin(u)
		for range 2 {
			r := h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf, "Origin", h.srv.URL)
			if r.status != http.StatusOK {
				t.Fatalf("%s refresh by cookie: %d %s", role, r.status, r.body)
			}
			var got tokenAnswer
			r.json(t, &got)
			cookies := setCookies(r)
			if got.AccessToken == s.access || cookies["bank_codec"] != wantCodecCookie(got.AccessToken, got.ExpiresIn, false) {
				t.Fatalf("%s refresh by cookie sets %q; want bank_codec with the new access token", role, r.header.Values("Set-Cookie"))
			}
			s = browserSession{access: got.AccessToken, refresh: cookieValue(cookies["bank_refresh"]), csrf: s.csrf}
		}
	}
}

// Customers never get the codec's cookie, and no session whose tokens travel in the body does.
func TestCodecCookie_OnlyStaffBrowserSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	client := h.user(domain.RoleClient)
	s := h.browserLogin(client)
	r := h.browser("POST", "/v1/auth/login", "", `{"email":"`+client.Email+`","password":"`+client.password+`","refresh_cookie":true}`, nil)
	if r.status != http.StatusOK || len(r.header.Values("Set-Cookie")) != 2 || setCookies(r)["bank_codec"] != "" {
		t.Fatalf("a customer's browser login: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
	r = h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf)
	if r.status != http.StatusOK || len(r.header.Values("Set-Cookie")) != 2 || setCookies(r)["bank_codec"] != "" {
		t.Fatalf("a customer's refresh by cookie: %d %q", r.status, r.header.Values("Set-Cookie"))
	}

	admin := h.user(domain.RoleAdmin)
	r = h.do("POST", "/v1/auth/login", "", `{"email":"`+admin.Email+`","password":"`+admin.password+`"}`)
	var got tokenAnswer
	r.json(t, &got)
	if r.status != http.StatusOK || got.RefreshToken == "" || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("an admin's body login: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
	r = h.do("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+got.RefreshToken+`"}`)
	if r.status != http.StatusOK || len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("an admin's body refresh: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
}

// A logout by cookie and a logout everywhere clear the codec's cookie, and the token it held stops
// decoding.
func TestCodecCookie_LogoutClearsIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	enc, err := h.codec.Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	body := payloadsBody(t, enc...)
	const cleared = "bank_codec=; Path=/codec; Max-Age=0; HttpOnly; SameSite=Strict"
	u := h.user(domain.RoleSupport)
	for _, logout := range []func(s browserSession) response{
		func(s browserSession) response {
			return h.browser("POST", "/v1/auth/logout", "", "{}", s.cookies(), "X-CSRF-Token", s.csrf, "Origin", h.srv.URL)
		},
		func(s browserSession) response {
			return h.browser("POST", "/v1/auth/logout-all", "", "", s.cookies(), "Authorization", "Bearer "+s.access)
		},
	} {
		s := h.browserLogin(u)
		codec := map[string]string{"bank_codec": s.access}
		if r := h.browser("POST", "/codec/decode", "", body, codec, "Origin", uiOrigin); r.status != http.StatusOK {
			t.Fatalf("decode by the session's cookie: %d %s", r.status, r.body)
		}
		r := logout(s)
		if r.status != http.StatusNoContent || setCookies(r)["bank_codec"] != cleared {
			t.Fatalf("logout: %d %q; want %q", r.status, r.header.Values("Set-Cookie"), cleared)
		}
		requireCode(t, h.browser("POST", "/codec/decode", "", body, codec, "Origin", uiOrigin), http.StatusUnauthorized, domain.CodeUnauthorized)
	}
}

// The codec takes the cookie in place of a bearer token, from the Temporal UI's origins only: with
// no Origin, or another origin's, it is 401 and nothing is decoded; a customer's token in it is 403;
// a token in Authorization is the one that counts.
func TestCodecCookie_DecodesFromTheUIOrigins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	clear := transferInput(t)
	enc, err := h.codec.Encode([]*commonpb.Payload{clear})
	if err != nil {
		t.Fatal(err)
	}
	body := payloadsBody(t, enc...)
	admin, support := h.browserLogin(h.user(domain.RoleAdmin)), h.browserLogin(h.user(domain.RoleSupport))

	for _, origin := range []string{"http://localhost:8233", "http://127.0.0.1:8233"} {
		r := h.browser("POST", "/codec/decode", "", body, map[string]string{"bank_codec": support.access}, "Origin", origin, "X-Namespace", "default")
		if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != origin || r.header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("decode by cookie from %s: %d %v %s", origin, r.status, r.header, r.body)
		}
		if got := readPayloads(t, r); len(got) != 1 || !proto.Equal(got[0], clear) {
			t.Fatalf("decode by cookie from %s: %v", origin, got)
		}
	}
	// Encoding by cookie: admins only, as by a bearer token.
	if r := h.browser("POST", "/codec/encode", "", payloadsBody(t, clear), map[string]string{"bank_codec": admin.access}, "Origin", uiOrigin); r.status != http.StatusOK {
		t.Fatalf("an admin encodes by cookie: %d %s", r.status, r.body)
	}
	requireCode(t, h.browser("POST", "/codec/encode", "", payloadsBody(t, clear), map[string]string{"bank_codec": support.access}, "Origin", uiOrigin),
		http.StatusForbidden, domain.CodeForbidden)

	client := h.user(domain.RoleClient)
	for name, c := range map[string]struct {
		cookie  string
		headers []string
		status  int
	}{
		"no origin":                   {support.access, nil, http.StatusUnauthorized},
		"another origin":              {support.access, []string{"Origin", "https://evil.example"}, http.StatusUnauthorized},
		"another port":                {support.access, []string{"Origin", "http://localhost:8234"}, http.StatusUnauthorized},
		"the web app's origin":        {support.access, []string{"Origin", h.srv.URL}, http.StatusUnauthorized},
		"an opaque origin":            {support.access, []string{"Origin", "null"}, http.StatusUnauthorized},
		"a customer's token":          {client.token, []string{"Origin", uiOrigin}, http.StatusForbidden},
		"not a token":                 {"not-a-token", []string{"Origin", uiOrigin}, http.StatusUnauthorized},
		"a refresh token":             {support.refresh, []string{"Origin", uiOrigin}, http.StatusUnauthorized},
		"an empty cookie":             {"", []string{"Origin", uiOrigin}, http.StatusUnauthorized},
		"a bad Authorization":         {support.access, []string{"Origin", uiOrigin, "Authorization", "Bearer not-a-token"}, http.StatusUnauthorized},
		"a customer's bearer":         {support.access, []string{"Origin", uiOrigin, "Authorization", "Bearer " + client.token}, http.StatusForbidden},
		"an Authorization, no Origin": {"not-a-token", []string{"Authorization", "Bearer " + support.access}, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			r := h.browser("POST", "/codec/decode", "", body, map[string]string{"bank_codec": c.cookie}, c.headers...)
			if c.status == http.StatusOK {
				if r.status != http.StatusOK {
					t.Fatalf("%d %s; want 200", r.status, r.body)
				}
				return
			}
			code := domain.CodeUnauthorized
			if c.status == http.StatusForbidden {
				code = domain.CodeForbidden
			}
			requireCode(t, r, c.status, code)
			if c.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") != `Bearer realm="bank"` {
				t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(r.body), "ana@example.com") {
				t.Fatal("the refusal carries the clear payload")
			}
		})
	}
	// Without the cookie and without Authorization, the refusal says how to authenticate.
	r := h.browser("POST", "/codec/decode", "", body, nil, "Origin", uiOrigin)
	requireCode(t, r, http.StatusUnauthorized, domain.CodeUnauthorized)
	var p struct{ Detail string }
	if err := json.Unmarshal(r.body, &p); err != nil || !strings.Contains(p.Detail, "Authorization") {
		t.Fatalf("no credentials: %s", r.body)
	}
}
