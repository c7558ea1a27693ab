package api_test

import (
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
)

// browserSession is what the web app holds of a browser session: the cookies the browser keeps,
// and the CSRF token the app reads.
type browserSession struct {
	access, refresh, csrf string
}

// browser sends a request as the web app does: to host (empty: the test server's own), with the
// session's cookies (when session is not nil) and headers.
func (h *harness) browser(method, path, host, body string, cookies map[string]string, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, name := range slices.Sorted(maps.Keys(cookies)) {
		req.AddCookie(&http.Cookie{Name: name, Value: cookies[name]})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// setCookies returns the response's Set-Cookie lines by cookie name.
func setCookies(r response) map[string]string {
	out := map[string]string{}
	for _, line := range r.header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(line, "=")
		out[name] = line
	}
	return out
}

// cookieValue is the value a Set-Cookie line sets.
func cookieValue(line string) string {
	_, rest, _ := strings.Cut(line, "=")
	v, _, _ := strings.Cut(rest, ";")
	return v
}

// browserLogin logs u in for a browser session and returns what the browser and the app keep.
func (h *harness) browserLogin(u user) browserSession {
	h.t.Helper()
	r := h.browser("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`","refresh_cookie":true}`, nil)
	if r.status != http.StatusOK {
		h.t.Fatalf("browser login: %d %s", r.status, r.body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		CSRFToken   string `json:"csrf_token"`
	}
	r.json(h.t, &body)
	return browserSession{access: body.AccessToken, refresh: cookieValue(setCookies(r)["bank_refresh"]), csrf: body.CSRFToken}
}

func (s browserSession) cookies() map[string]string {
	return map[string]string{"bank_refresh": s.refresh, "bank_csrf": s.csrf}
}

// A browser login keeps the refresh token out of the body, in an HttpOnly cookie on the auth
// routes only, with the CSRF token beside it; both are Secure except on the machine itself.
func TestBrowserSession_LoginSetsCookies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	body := `{"email":"` + u.Email + `","password":"` + u.password + `","refresh_cookie":true}`
	for host, secure := range map[string]bool{
		"": false, "localhost:8080": false, "localhost": false, "127.0.0.1:8080": false, "[::1]:8080": false,
		"bank.example": true, "bank.example:443": true, "10.1.2.3:8080": true, "localhost.bank.example": true,
	} {
		r := h.browser("POST", "/v1/auth/login", host, body, nil)
		if r.status != http.StatusOK {
			t.Fatalf("login at %q: %d %s", host, r.status, r.body)
		}
		var got map[string]any
		r.json(t, &got)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"access_token", "csrf_token", "expires_in", "token_type"}) {
			t.Fatalf("login at %q: body keys %v; want no refresh_token", host, keys)
		}
		cookies := setCookies(r)
		refresh, csrf := cookieValue(cookies["bank_refresh"]), got["csrf_token"].(string)
		sec := ""
		if secure {
			sec = "; Secure"
		}
		wantRefresh := "bank_refresh=" + refresh + "; Path=/v1/auth; Max-Age=86400; HttpOnly" + sec + "; SameSite=Strict"
		wantCSRF := "bank_csrf=" + csrf + "; Path=/; Max-Age=86400" + sec + "; SameSite=Strict"
		if len(r.header.Values("Set-Cookie")) != 2 || cookies["bank_refresh"] != wantRefresh || cookies["bank_csrf"] != wantCSRF {
			t.Fatalf("login at %q sets %q; want\n%s\n%s", host, r.header.Values("Set-Cookie"), wantRefresh, wantCSRF)
		}
		if len(refresh) < 40 || len(csrf) < 40 || strings.Contains(string(r.body), refresh) {
			t.Fatalf("login at %q: refresh %q, csrf %q; body %s", host, refresh, csrf, r.body)
		}
		if me := h.do("GET", "/v1/me", got["access_token"].(string), ""); me.status != http.StatusOK {
			t.Fatalf("the browser session's access token: %d", me.status)
		}
	}
	// Without refresh_cookie, the answer is as it always was: no cookie, no CSRF token.
	r := h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`"}`)
	var got map[string]any
	r.json(t, &got)
	if r.header.Get("Set-Cookie") != "" || got["refresh_token"] == nil || got["csrf_token"] != nil {
		t.Fatalf("a body login: Set-Cookie %q, body %s", r.header.Get("Set-Cookie"), r.body)
	}
	// The field is strict, as every field is.
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`","refresh_cookie":"yes"}`), http.StatusUnprocessableEntity, "refresh_cookie")
}

// A browser session refreshes by its cookie and CSRF token: the cookie rotates, the old value is
// refused afterwards, and presenting it again ends the session as a reused refresh token does.
func TestBrowserSession_RefreshRotatesTheCookie(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	s := h.browserLogin(u)

	var rotated browserSession
	for i, body := range []string{"", "{}"} {
		r := h.browser("POST", "/v1/auth/refresh", "", body, s.cookies(), "X-CSRF-Token", s.csrf, "Origin", h.srv.URL)
		if r.status != http.StatusOK {
			t.Fatalf("refresh %d by cookie: %d %s", i, r.status, r.body)
		}
		var got map[string]any
		r.json(t, &got)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"access_token", "csrf_token", "expires_in", "token_type"}) || got["csrf_token"] != s.csrf {
			t.Fatalf("refresh %d by cookie: %s; want the same CSRF token and no refresh_token", i, r.body)
		}
		cookies := setCookies(r)
		rotated = browserSession{access: got["access_token"].(string), refresh: cookieValue(cookies["bank_refresh"]), csrf: s.csrf}
		if rotated.refresh == "" || rotated.refresh == s.refresh || cookieValue(cookies["bank_csrf"]) != s.csrf ||
			!strings.Contains(cookies["bank_refresh"], "; Path=/v1/auth; Max-Age=86400; HttpOnly; SameSite=Strict") {
			t.Fatalf("refresh %d by cookie sets %q", i, r.header.Values("Set-Cookie"))
		}
		if me := h.do("GET", "/v1/me", rotated.access, ""); me.status != http.StatusOK {
			t.Fatalf("the refreshed access token: %d", me.status)
		}
		if i == 0 {
			s = rotated
		}
	}

	// The spent cookie (the previous value) is refused and ends the session, whose other tokens
	// stop working; the answer clears the cookies.
	r := h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf)
	requireProblem(t, r, http.StatusUnauthorized, "")
	requireCode(t, r, http.StatusUnauthorized, domain.CodeInvalidRefreshToken)
	cleared := setCookies(r)
	if cleared["bank_refresh"] != "bank_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; SameSite=Strict" || cleared["bank_csrf"] != "bank_csrf=; Path=/; Max-Age=0; SameSite=Strict" {
		t.Fatalf("a refused cookie's answer sets %q; want both cleared", r.header.Values("Set-Cookie"))
	}
	if len(h.audit.ofType(audit.EventRefreshReuse)) != 1 {
		t.Fatalf("%d reuse events; want 1", len(h.audit.ofType(audit.EventRefreshReuse)))
	}
	requireProblem(t, h.browser("POST", "/v1/auth/refresh", "", "", rotated.cookies(), "X-CSRF-Token", rotated.csrf), http.StatusUnauthorized, "")
	requireProblem(t, h.do("GET", "/v1/me", rotated.access, ""), http.StatusUnauthorized, "")
}

// A refresh or logout by cookie without the session's CSRF token, with another session's, or
// from another origin is refused with 403 csrf_failed and changes nothing.
func TestBrowserSession_CSRFRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	s, other := h.browserLogin(u), h.browserLogin(h.user(domain.RoleClient))
	before := h.counts()
	for name, headers := range map[string][]string{
		"no token":              nil,
		"empty token":           {"X-CSRF-Token", ""},
		"another session's":     {"X-CSRF-Token", other.csrf},
		"the refresh token":     {"X-CSRF-Token", s.refresh},
		"a token cut short":     {"X-CSRF-Token", s.csrf[:len(s.csrf)-1]},
		"another origin":        {"X-CSRF-Token", s.csrf, "Origin", "https://evil.example"},
		"another port":          {"X-CSRF-Token", s.csrf, "Origin", strings.Replace(h.srv.URL, "127.0.0.1:", "127.0.0.1:1", 1)},
		"an opaque origin":      {"X-CSRF-Token", s.csrf, "Origin", "null"},
		"a look-alike host":     {"X-CSRF-Token", s.csrf, "Origin", h.srv.URL + ".evil.example"},
		"the cookie's own name": {"X-CSRF-Token", "bank_csrf=" + s.csrf},
	} {
		for _, path := range []string{"/v1/auth/refresh", "/v1/auth/logout"} {
			t.Run(name+" "+path, func(t *testing.T) {
				r := h.browser("POST", path, "", "", s.cookies(), headers...)
				requireCode(t, r, http.StatusForbidden, domain.CodeCSRFFailed)
				if r.header.Get("Set-Cookie") != "" {
					t.Fatalf("sets %q", r.header.Values("Set-Cookie"))
				}
			})
		}
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatalf("refused requests changed state:\nbefore %v\nafter  %v", before, after)
	}
	// The session is untouched: its cookie still refreshes, from its own origin.
	r := h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf, "Origin", h.srv.URL)
	if r.status != http.StatusOK {
		t.Fatalf("the session after the refusals: %d %s", r.status, r.body)
	}
	// The origin is compared with the host the request was sent to, default port or not.
	s.refresh = cookieValue(setCookies(r)["bank_refresh"])
	r = h.browser("POST", "/v1/auth/refresh", "bank.example", "", s.cookies(), "X-CSRF-Token", s.csrf, "Origin", "https://bank.example:443")
	if r.status != http.StatusOK {
		t.Fatalf("from https://bank.example:443 to bank.example: %d %s", r.status, r.body)
	}
}

// A browser logs out by its cookie and CSRF token: the session ends and both cookies are cleared.
func TestBrowserSession_LogoutClearsCookies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	s := h.browserLogin(u)
	r := h.browser("POST", "/v1/auth/logout", "", "{}", s.cookies(), "X-CSRF-Token", s.csrf, "Origin", h.srv.URL)
	if r.status != http.StatusNoContent {
		t.Fatalf("logout by cookie: %d %s", r.status, r.body)
	}
	cleared := setCookies(r)
	if cleared["bank_refresh"] != "bank_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; SameSite=Strict" || cleared["bank_csrf"] != "bank_csrf=; Path=/; Max-Age=0; SameSite=Strict" {
		t.Fatalf("logout sets %q; want both cleared", r.header.Values("Set-Cookie"))
	}
	requireProblem(t, h.do("GET", "/v1/me", s.access, ""), http.StatusUnauthorized, "")
	requireCode(t, h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf), http.StatusUnauthorized, domain.CodeInvalidRefreshToken)
	// Logging out again, with a cookie that names no live token, still clears the cookies.
	r = h.browser("POST", "/v1/auth/logout", "bank.example", "", map[string]string{"bank_refresh": "not-a-token"})
	if r.status != http.StatusNoContent || setCookies(r)["bank_refresh"] != "bank_refresh=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict" {
		t.Fatalf("logout of an unknown cookie: %d %q", r.status, r.header.Values("Set-Cookie"))
	}

	// Logging out everywhere clears the cookies too (the codec's as well: codec_cookie_test.go).
	s = h.browserLogin(u)
	r = h.browser("POST", "/v1/auth/logout-all", "", "", s.cookies(), "Authorization", "Bearer "+s.access)
	if r.status != http.StatusNoContent || len(setCookies(r)) != 3 || cookieValue(setCookies(r)["bank_refresh"]) != "" {
		t.Fatalf("logout-all: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
	requireCode(t, h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf), http.StatusUnauthorized, domain.CodeInvalidRefreshToken)
}

// A refresh token in the body is used as it always was, cookie or not; with neither, the field
// is required.
func TestBrowserSession_BodyTokenAsBefore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	s := h.browserLogin(u)
	r := h.browser("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+u.refresh+`"}`, s.cookies())
	var got map[string]any
	r.json(t, &got)
	if r.status != http.StatusOK || got["refresh_token"] == nil || got["csrf_token"] != nil || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("a body refresh beside a cookie: %d %s %q", r.status, r.body, r.header.Values("Set-Cookie"))
	}
	for _, path := range []string{"/v1/auth/refresh", "/v1/auth/logout"} {
		for _, body := range []string{"", "{}", `{"refresh_token":""}`} {
			requireProblem(t, h.browser("POST", path, "", body, nil, "X-CSRF-Token", s.csrf), http.StatusUnprocessableEntity, "refresh_token")
		}
	}
	// The browser session was not touched by any of it.
	if r := h.browser("POST", "/v1/auth/refresh", "", "", s.cookies(), "X-CSRF-Token", s.csrf); r.status != http.StatusOK {
		t.Fatalf("the browser session: %d %s", r.status, r.body)
	}
}
