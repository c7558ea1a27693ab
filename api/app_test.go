package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

const (
	appIndex  = `<!doctype html><html><head><script type="module" src="/assets/index-4f2a9c.js"></script></head><body><div id="root"></div></body></html>`
	appCSP    = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	immutable = "public, max-age=31536000, immutable"
)

// appScript is large and repetitive enough to be worth compressing.
var appScript = strings.Repeat("export const greeting = 'hello from the bank';\n", 200)

func appFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(appIndex)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"assets/index-4f2a9c.js":  {Data: []byte(appScript)},
		"assets/index-77b0e1.css": {Data: []byte("body{margin:0}")},
		"assets/logo-0d1e2f.png":  {Data: []byte("\x89PNG\r\n\x1a\n0000")},
		".env":                    {Data: []byte("SECRET=1")},
	}
}

// requireAppHeaders checks the security headers every answer of the app carries.
func requireAppHeaders(t *testing.T, what string, r response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy":    appCSP,
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Permissions-Policy":         "camera=(), microphone=(), geolocation=()",
	}
	for name, value := range want {
		if got := r.header.Get(name); got != value {
			t.Errorf("%s: %s %q; want %q", what, name, got, value)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-") {
		t.Errorf("%s: the CSP allows unsafe sources: %s", what, csp)
	}
}

// Every GET outside the API is the app's: its files by name, index.html for its own routes; the
// API's paths keep their problem answers.
func TestApp_FilesAndClientRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.App = appFS() })

	for _, p := range []string{"/", "/index.html", "/docs", "/accounts/abc", "/set-password", "/staff/users", "/accounts/", "/.env", "/a/../b"} {
		r := h.do("GET", p, "", "")
		if r.status != http.StatusOK || string(r.body) != appIndex {
			t.Fatalf("GET %s: %d %q; want index.html", p, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q; want no-cache", p, cc)
		}
		requireAppHeaders(t, "GET "+p, r)
	}

	for p, ctype := range map[string]string{
		"/assets/index-4f2a9c.js":  "javascript",
		"/assets/index-77b0e1.css": "text/css",
		"/assets/logo-0d1e2f.png":  "image/png",
	} {
		r := h.do("GET", p, "", "", "Accept-Encoding", "identity")
		name := strings.TrimPrefix(p, "/")
		if r.status != http.StatusOK || string(r.body) != string(appFS()[name].Data) {
			t.Fatalf("GET %s: %d %q", p, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, ctype) {
			t.Errorf("GET %s: Content-Type %q; want %s", p, ct, ctype)
		}
		if cc := r.header.Get("Cache-Control"); cc != immutable {
			t.Errorf("GET %s: Cache-Control %q; want %q", p, cc, immutable)
		}
		requireAppHeaders(t, "GET "+p, r)
	}

	// An unhashed file other than index.html is served as itself, checked again at every use.
	r := h.do("GET", "/favicon.svg", "", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "image/svg+xml") || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /favicon.svg: %d %s %q", r.status, r.header, r.body)
	}

	// A missing asset is a 404, never index.html: a browser must not run the page as a script.
	for _, p := range []string{"/assets/index-000000.js", "/assets/", "/assets"} {
		r := h.do("GET", p, "", "")
		requireProblem(t, r, http.StatusNotFound, "")
		if strings.Contains(string(r.body), "<!doctype") {
			t.Fatalf("GET %s answered index.html", p)
		}
		requireAppHeaders(t, "GET "+p, r)
	}

	// The API's own paths are never the app's.
	for _, p := range []string{"/v1/nope", "/v1", "/v1/accounts/abc/nope"} {
		r := h.do("GET", p, "", "")
		requireProblem(t, r, http.StatusNotFound, "")
		var prob api.Problem
		r.json(t, &prob)
		if prob.Code != domain.CodeNotFound || prob.Detail != "No such route." {
			t.Fatalf("GET %s: %s; want the API's not_found", p, r.body)
		}
	}
	// Nor is anything but GET and HEAD.
	requireProblem(t, h.do("POST", "/accounts/abc", "", `{}`), http.StatusNotFound, "")
	if r := h.do("GET", "/healthz", "", ""); r.status != http.StatusOK || r.header.Get("Content-Security-Policy") != "" {
		t.Fatalf("GET /healthz: %d, CSP %q", r.status, r.header.Get("Content-Security-Policy"))
	}
}

// HEAD answers as GET does, without a body; a client holding the current version gets 304.
func TestApp_HeadAndRevalidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.App = appFS() })
	for _, p := range []string{"/", "/accounts/abc", "/assets/index-77b0e1.css"} {
		get := h.do("GET", p, "", "", "Accept-Encoding", "identity")
		head := h.do("HEAD", p, "", "", "Accept-Encoding", "identity")
		if head.status != http.StatusOK || len(head.body) != 0 {
			t.Fatalf("HEAD %s: %d with %d bytes", p, head.status, len(head.body))
		}
		if cl := head.header.Get("Content-Length"); cl != strconv.Itoa(len(get.body)) {
			t.Fatalf("HEAD %s: Content-Length %q; GET sent %d bytes", p, cl, len(get.body))
		}
		for _, name := range []string{"Content-Type", "Cache-Control", "ETag", "Content-Security-Policy"} {
			if head.header.Get(name) != get.header.Get(name) || get.header.Get(name) == "" {
				t.Fatalf("%s of %s: HEAD %q, GET %q", name, p, head.header.Get(name), get.header.Get(name))
			}
		}
		again := h.do("GET", p, "", "", "Accept-Encoding", "identity", "If-None-Match", get.header.Get("ETag"))
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Fatalf("GET %s If-None-Match its ETag: %d %q; want 304", p, again.status, again.body)
		}
	}
}

// A script is sent gzipped to a client that takes gzip, as it is to one that does not, with
// Vary telling caches the two apart; an image is never compressed.
func TestApp_Gzip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.App = appFS() })
	const script = "/assets/index-4f2a9c.js"
	plain := h.do("GET", script, "", "", "Accept-Encoding", "identity")
	zipped := h.do("GET", script, "", "", "Accept-Encoding", "br, gzip;q=0.8")
	refused := h.do("GET", script, "", "", "Accept-Encoding", "gzip;q=0")
	if plain.header.Get("Content-Encoding") != "" || refused.header.Get("Content-Encoding") != "" || string(refused.body) != appScript {
		t.Fatalf("without gzip: Content-Encoding %q and %q", plain.header.Get("Content-Encoding"), refused.header.Get("Content-Encoding"))
	}
	if zipped.status != http.StatusOK || zipped.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("with gzip: %d, Content-Encoding %q", zipped.status, zipped.header.Get("Content-Encoding"))
	}
	if cl := zipped.header.Get("Content-Length"); cl != strconv.Itoa(len(zipped.body)) || len(zipped.body) >= len(appScript) {
		t.Fatalf("gzip: Content-Length %q for %d bytes (of %d)", cl, len(zipped.body), len(appScript))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || string(b) != appScript {
		t.Fatalf("gunzipped: %v; not the script", err)
	}
	for _, r := range []response{plain, zipped} {
		if r.header.Get("Vary") != "Accept-Encoding" || r.header.Get("Cache-Control") != immutable {
			t.Fatalf("Vary %q, Cache-Control %q", r.header.Get("Vary"), r.header.Get("Cache-Control"))
		}
	}
	if plain.header.Get("ETag") == zipped.header.Get("ETag") {
		t.Fatalf("the plain and gzipped script share the ETag %s", plain.header.Get("ETag"))
	}
	if png := h.do("GET", "/assets/logo-0d1e2f.png", "", "", "Accept-Encoding", "gzip"); png.header.Get("Content-Encoding") != "" {
		t.Fatalf("an image was compressed: %s", png.header)
	}
}

// Without a built app the API says so at /, in a problem, and every answer still carries nosniff.
func TestApp_NotBuilt(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, p := range []string{"/", "/accounts/abc"} {
		r := h.do("GET", p, "", "")
		requireProblem(t, r, http.StatusNotFound, "")
		var prob api.Problem
		r.json(t, &prob)
		if prob.Code != domain.CodeNotFound || !strings.Contains(prob.Detail, "make web") {
			t.Fatalf("GET %s without an app: %s", p, r.body)
		}
	}
	for _, p := range []string{"/healthz", "/v1/nope", "/openapi.yaml"} {
		if r := h.do("GET", p, "", ""); r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s: X-Content-Type-Options %q", p, r.header.Get("X-Content-Type-Options"))
		}
	}
}
