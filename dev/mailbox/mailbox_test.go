package mailbox_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bankforge/bank/dev/mailbox"
)

// fakeMailpit answers the three API calls the mailbox makes, with one message whose HTML tries to
// run a script.
func fakeMailpit(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	list := `{"total":1,"messages":[{"ID":"m1","Read":false,"From":{"Name":"BankForge","Address":"bank@localhost"},
		"To":[{"Name":"Rosa Muñoz","Address":"rosa@example.com"}],"Subject":"Recibiste 1.234,56 €","Created":"2026-01-02T03:04:05Z","Snippet":"Hola, Rosa Muñoz:"}]}`
	mux.HandleFunc("GET /api/v1/messages", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, list) })
	mux.HandleFunc("GET /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("query") != "to:rosa@example.com" {
			io.WriteString(w, `{"total":0,"messages":[]}`)
			return
		}
		io.WriteString(w, list)
	})
	mux.HandleFunc("GET /api/v1/message/m1", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ID":"m1","MessageID":"transfer.a.completed.b@localhost","From":{"Name":"BankForge","Address":"bank@localhost"},
			"To":[{"Name":"Rosa Muñoz","Address":"rosa@example.com"}],"Subject":"Recibiste 1.234,56 €","Date":"2026-01-02T03:04:05Z",
			"Text":"Hola, Rosa Muñoz:\r\n\r\nRecibiste 1.234,56 €.","HTML":"<p>Hola</p><script>alert(1)</script>\" onload=\"alert(2)"}`)
	})
	mux.HandleFunc("GET /api/v1/message/m2", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ID":"m2","Subject":"s","HTML":"<!DOCTYPE html><html><head lang=\"es\"><title>t</title></head><body>b</body></html>"}`)
	})
	mux.HandleFunc("GET /api/v1/message/m1/raw", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Subject: =?UTF-8?q?Recibiste?=\r\n\r\nbody")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestMailbox_ListsAndShowsMessages(t *testing.T) {
	t.Parallel()
	h := mailbox.New(fakeMailpit(t).URL)
	code, hdr, body := get(t, h, "/")
	if code != http.StatusOK || !strings.Contains(body, "Recibiste 1.234,56 €") || !strings.Contains(body, `href="/messages/m1"`) ||
		!strings.Contains(body, "Rosa Muñoz &lt;rosa@example.com&gt;") {
		t.Fatalf("list: %d\n%s", code, body)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if _, _, body := get(t, h, "/?q=to:rosa@example.com"); !strings.Contains(body, "Recibiste") {
		t.Fatalf("search found nothing:\n%s", body)
	}
	if _, _, body := get(t, h, "/?q=to:nobody@example.com"); strings.Contains(body, "Recibiste") {
		t.Fatalf("search ignored its query:\n%s", body)
	}

	code, _, body = get(t, h, "/messages/m1")
	if code != http.StatusOK || !strings.Contains(body, "transfer.a.completed.b@localhost") || !strings.Contains(body, "Hola, Rosa Muñoz:") {
		t.Fatalf("message: %d\n%s", code, body)
	}
	// The HTML body is only ever the content of a sandboxed frame, escaped into its attribute.
	if strings.Contains(body, "<script>") || strings.Contains(body, `" onload=`) {
		t.Fatalf("the email's HTML reached the page:\n%s", body)
	}
	i := strings.Index(body, `srcdoc="`)
	if i < 0 || !strings.Contains(body[:i], `<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"`) {
		t.Fatalf("no sandboxed frame:\n%s", body)
	}
	attr := body[i+len(`srcdoc="`):]
	attr = attr[:strings.Index(attr, `"`)]
	if got := html.UnescapeString(attr); got != `<base target="_blank"><p>Hola</p><script>alert(1)</script>" onload="alert(2)` {
		t.Fatalf("frame content %q", got)
	}
	if code, _, body := get(t, h, "/messages/m1/raw"); code != http.StatusOK || !strings.HasPrefix(body, "Subject: =?UTF-8?q?Recibiste?=") {
		t.Fatalf("raw: %d %q", code, body)
	}
	if code, _, body := get(t, h, "/messages/m2"); code != http.StatusOK || !strings.Contains(body, html.EscapeString(`<!DOCTYPE html><html><head lang="es"><base target="_blank"><title>`)) {
		t.Fatalf("a full HTML document: %d\n%s", code, body)
	}
	if code, _, _ := get(t, h, "/messages/nope"); code != http.StatusBadGateway {
		t.Fatalf("unknown message: %d", code)
	}
}
