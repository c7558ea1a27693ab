package stack

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The settings of the Temporal CLI's dev server's UI (v1.5.1, UI 2.42), as it serves them.
const devUISettings = `{"Auth":{"Enabled":false,"Options":null},"BannerText":"","DefaultNamespace":"default",` +
	`"ShowTemporalSystemNamespace":false,"FeedbackURL":"","NotifyOnNewVersion":false,` +
	`"Codec":{"Endpoint":"http://localhost:8080/codec","PassAccessToken":false,"IncludeCredentials":false,` +
	`"DefaultErrorMessage":"","DefaultErrorLink":""},"Version":"2.42.1","DisableWriteActions":false}`

func TestIncludeCodecCredentials(t *testing.T) {
	out, err := includeCodecCredentials([]byte(devUISettings))
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(devUISettings), &want); err != nil {
		t.Fatal(err)
	}
	want["Codec"].(map[string]any)["IncludeCredentials"] = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant the same with Codec.IncludeCredentials true", out)
	}

	for _, bad := range []string{`{"Codec":null}`, `{}`, `not json`} {
		if _, err := includeCodecCredentials([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// The proxy passes requests through with their Host, and rewrites only the settings, even when the
// UI server compresses its answers.
func TestUIProxy(t *testing.T) {
	var hosts []string
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		w.Header().Set("Content-Type", "application/json")
		body := `{"Codec":{"IncludeCredentials":false}}`
		if r.URL.Path == uiSettingsPath {
			body = devUISettings
		}
		// As the UI server does (echo's Gzip middleware).
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = io.WriteString(zw, body)
			_ = zw.Close()
			return
		}
		_, _ = io.WriteString(w, body)
	}))
	defer ui.Close()
	target, _ := url.Parse(ui.URL)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := uiProxy(l, target)
	defer srv.Close()
	base := "http://" + l.Addr().String()

	get := func(path string) (string, *http.Response) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Host = "localhost:8233"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp
	}
	body, resp := get(uiSettingsPath)
	if !strings.Contains(body, `"IncludeCredentials":true`) || !strings.Contains(body, `"Endpoint":"http://localhost:8080/codec"`) {
		t.Errorf("settings: %s", body)
	}
	if resp.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(body))
	}
	if body, _ := get("/api/v1/other"); body != `{"Codec":{"IncludeCredentials":false}}` {
		t.Errorf("another answer changed: %s", body)
	}
	for _, h := range hosts {
		if h != "localhost:8233" {
			t.Errorf("the UI server saw Host %q", h)
		}
	}
}
