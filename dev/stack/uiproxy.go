package stack

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"
)

// uiSettingsPath is where the Temporal web UI's pages read the UI server's settings, the codec's
// among them.
const uiSettingsPath = "/api/v1/settings"

// uiProxy serves the dev server's web UI, which listens at target, on l: every request and answer
// passes unchanged (the Host header as the browser sent it), except the UI server's settings,
// whose codec includes cross-origin credentials. The dev server has no flag for that setting, and
// without it the UI calls the API's codec without the staff member's bank_codec cookie.
func uiProxy(l net.Listener, target *url.URL) *http.Server {
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
		if isUISettings(pr.Out) {
			// Without the browser's Accept-Encoding, the transport asks for gzip itself and
			// unzips the answer, which comes in clear to be rewritten.
			pr.Out.Header.Del("Accept-Encoding")
		}
	}}
	rp.ModifyResponse = func(resp *http.Response) error {
		if !isUISettings(resp.Request) || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := readBody(resp)
		if err != nil {
			return fmt.Errorf("the Temporal UI's settings: %w", err)
		}
		body, err = includeCodecCredentials(body)
		if err != nil {
			return fmt.Errorf("the Temporal UI's settings: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		resp.Header.Del("Content-Encoding")
		return nil
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv
}

func isUISettings(r *http.Request) bool {
	return r != nil && r.Method == http.MethodGet && r.URL.Path == uiSettingsPath
}

// readBody reads and closes an answer's body, unzipped if the server compressed it anyway.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch resp.Header.Get("Content-Encoding") {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, err
		}
		r = zr
	default:
		return nil, fmt.Errorf("unexpected Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// includeCodecCredentials sets the codec's IncludeCredentials in the Temporal UI server's settings
// (GET /api/v1/settings: {"Codec": {"Endpoint": ..., "IncludeCredentials": false, ...}, ...}),
// keeping every other field as it was.
func includeCodecCredentials(settings []byte) ([]byte, error) {
	var s map[string]json.RawMessage
	if err := json.Unmarshal(settings, &s); err != nil {
		return nil, err
	}
	var codec map[string]json.RawMessage
	if raw, ok := s["Codec"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &codec); err != nil {
			return nil, fmt.Errorf("the settings' Codec: %w", err)
		}
	}
	if codec == nil {
		return nil, errors.New("no Codec")
	}
	codec["IncludeCredentials"] = json.RawMessage("true")
	raw, err := json.Marshal(codec)
	if err != nil {
		return nil, err
	}
	s["Codec"] = raw
	return json.Marshal(s)
}
