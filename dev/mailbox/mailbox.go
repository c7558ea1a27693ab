// Package mailbox serves a small web page for reading the development stack's emails: a list of
// what Mailpit received and each message whole (its headers, text and HTML), read from Mailpit's
// REST API. The Mailpit that `make tools` builds serves that API but not its own web pages. For
// development only: it has no login and must listen on the loopback interface.
package mailbox

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handler serves the mailbox of the Mailpit whose API is at apiURL.
type Handler struct {
	api    string
	client *http.Client
	mux    *http.ServeMux
}

// New returns the mailbox page of the Mailpit at apiURL (such as http://127.0.0.1:8025).
func New(apiURL string) *Handler {
	h := &Handler{api: strings.TrimRight(apiURL, "/"), client: &http.Client{Timeout: 10 * time.Second}, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.list)
	h.mux.HandleFunc("GET /messages/{id}", h.message)
	h.mux.HandleFunc("GET /messages/{id}/raw", h.raw)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The page shows other people's emails' HTML: it runs no script, loads nothing from elsewhere,
	// and cannot be framed.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

type address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

func (a address) String() string {
	if a.Name == "" {
		return a.Address
	}
	return a.Name + " <" + a.Address + ">"
}

type summary struct {
	ID      string    `json:"ID"`
	Read    bool      `json:"Read"`
	From    address   `json:"From"`
	To      []address `json:"To"`
	Subject string    `json:"Subject"`
	Created time.Time `json:"Created"`
	Snippet string    `json:"Snippet"`
}

type message struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      address   `json:"From"`
	To        []address `json:"To"`
	Subject   string    `json:"Subject"`
	Date      time.Time `json:"Date"`
	Text      string    `json:"Text"`
	HTML      string    `json:"HTML"`
}

func (h *Handler) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.api+path, nil)
	if err != nil {
		return err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailpit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit: %s %s", path, resp.Status)
	}
	if s, ok := out.(*string); ok {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 50<<20))
		*s = string(b)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	path := "/api/v1/messages?limit=200"
	if q != "" {
		path = "/api/v1/search?limit=200&query=" + url.QueryEscape(q)
	}
	var page struct {
		Total    int       `json:"total"`
		Messages []summary `json:"messages"`
	}
	if err := h.get(r.Context(), path, &page); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	render(w, listPage, map[string]any{"Query": q, "Total": page.Total, "Messages": page.Messages, "API": h.api})
}

func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	var m message
	if err := h.get(r.Context(), "/api/v1/message/"+url.PathEscape(r.PathValue("id")), &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	// The HTML body is shown in a sandboxed frame: no script, no form, links open in a new tab.
	var srcdoc string
	if m.HTML != "" {
		srcdoc = withBase(m.HTML)
	}
	render(w, messagePage, map[string]any{"M": m, "SrcDoc": srcdoc})
}

// withBase makes the links of an HTML body open in a new tab: a <base> at the start of its head, or
// before everything when it has none.
func withBase(body string) string {
	const base = `<base target="_blank">`
	lower := strings.ToLower(body)
	if i := strings.Index(lower, "<head"); i >= 0 {
		if j := strings.Index(lower[i:], ">"); j >= 0 {
			return body[:i+j+1] + base + body[i+j+1:]
		}
	}
	return base + body
}

func (h *Handler) raw(w http.ResponseWriter, r *http.Request) {
	var src string
	if err := h.get(r.Context(), "/api/v1/message/"+url.PathEscape(r.PathValue("id"))+"/raw", &src); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, src)
}

func render(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

const style = `<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1f2933;background:#f4f5f7}
header{background:#1f2933;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:bold}
main{padding:16px 20px}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{padding:8px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top;font-size:14px}
tr.unread td{font-weight:bold}
.snippet{color:#616e7c;font-weight:normal}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;background:#fff;padding:12px;margin:0 0 16px}
dt{color:#616e7c}
pre{background:#fff;padding:12px;white-space:pre-wrap;overflow-wrap:anywhere}
iframe{width:100%;height:70vh;border:1px solid #e4e7eb;background:#fff}
input{padding:4px 8px;width:24em}
</style>`

var listPage = template.Must(template.New("list").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>Development mailbox</title>` + style + `</head><body>
<header><a href="/">Development mailbox</a>
<form method="get" action="/"><input name="q" value="{{.Query}}" placeholder="search: to:ana@example.com, subject:welcome"></form>
<span>{{.Total}} message(s), newest first; refreshes every 10 s</span></header>
<main>{{if .Messages}}<table>
<tr><th>Received</th><th>To</th><th>From</th><th>Subject</th></tr>
{{range .Messages}}<tr{{if not .Read}} class="unread"{{end}}>
<td>{{.Created.Local.Format "2006-01-02 15:04:05"}}</td>
<td>{{range $i, $a := .To}}{{if $i}}, {{end}}{{$a}}{{end}}</td>
<td>{{.From}}</td>
<td><a href="/messages/{{.ID}}">{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</a><br><span class="snippet">{{.Snippet}}</span></td>
</tr>{{end}}
</table>{{else}}<p>No email yet. The worker sends to Mailpit's SMTP server; its REST API is {{.API}}.</p>{{end}}
</main></body></html>`))

var messagePage = template.Must(template.New("message").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.M.Subject}}</title>` + style + `</head><body>
<header><a href="/">&larr; Development mailbox</a></header>
<main>
<dl>
<dt>Subject</dt><dd>{{.M.Subject}}</dd>
<dt>From</dt><dd>{{.M.From}}</dd>
<dt>To</dt><dd>{{range $i, $a := .M.To}}{{if $i}}, {{end}}{{$a}}{{end}}</dd>
<dt>Date</dt><dd>{{.M.Date.Local.Format "2006-01-02 15:04:05 MST"}}</dd>
<dt>Message-ID</dt><dd>{{.M.MessageID}}</dd>
<dt>Source</dt><dd><a href="/messages/{{.M.ID}}/raw">raw message</a></dd>
</dl>
{{if .SrcDoc}}<h3>HTML</h3>
<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="{{.SrcDoc}}" title="HTML body"></iframe>{{end}}
<h3>Text</h3>
<pre>{{.M.Text}}</pre>
</main></body></html>`))
