package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// testCodec is a codec with a fresh key, as the API and worker of one deployment share.
func testCodec(t *testing.T) *payloadcodec.Codec {
	t.Helper()
	setting, err := payloadcodec.NewKeySetting("test-1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := payloadcodec.ParseKeys(setting)
	if err != nil {
		t.Fatal(err)
	}
	c, err := payloadcodec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// transferInput is a payload as the worker writes one: JSON, personal data in it.
func transferInput(t *testing.T) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]any{
		"email": "ana@example.com", "full_name": "Ana López", "to_account_number": "401234567891",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func payloadsBody(t *testing.T, ps ...*commonpb.Payload) string {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readPayloads(t *testing.T, r response) []*commonpb.Payload {
	t.Helper()
	var ps commonpb.Payloads
	if err := protojson.Unmarshal(r.body, &ps); err != nil {
		t.Fatalf("codec answer %s: %v", r.body, err)
	}
	return ps.Payloads
}

// Staff read what the workers encrypted, and payloads in clear come back as they are; the Temporal
// UI's header names the namespace.
func TestCodec_StaffDecodeEncryptedPayloads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	clear := transferInput(t)
	enc, err := h.codec.Encode([]*commonpb.Payload{clear})
	if err != nil {
		t.Fatal(err)
	}
	untouched := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/null")}}
	for _, role := range []domain.Role{domain.RoleSupport, domain.RoleAdmin} {
		u := h.user(role)
		r := h.do("POST", "/codec/decode", u.token, payloadsBody(t, enc[0], untouched, enc[0]), "X-Namespace", "default")
		if r.status != http.StatusOK {
			t.Fatalf("%s decodes: %d %s", role, r.status, r.body)
		}
		got := readPayloads(t, r)
		if len(got) != 3 || !proto.Equal(got[0], clear) || !proto.Equal(got[1], untouched) || !proto.Equal(got[2], clear) {
			t.Fatalf("%s decoded %v; want the clear payloads in order", role, got)
		}
	}
	// No payloads: an empty list, not an empty object.
	r := h.do("POST", "/codec/decode", h.user(domain.RoleSupport).token, `{"payloads":[]}`)
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"payloads":[]}` {
		t.Fatalf("nothing to decode: %d %s", r.status, r.body)
	}
}

// The payloads are personal data: a customer's token gets 403, no token or a bad one 401, each a
// problem, and nothing decoded.
func TestCodec_OnlyStaffDecode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	enc, err := h.codec.Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	body := payloadsBody(t, enc...)
	for name, c := range map[string]struct {
		token  string
		status int
		code   domain.Code
	}{
		"client":     {h.user(domain.RoleClient).token, http.StatusForbidden, domain.CodeForbidden},
		"no token":   {"", http.StatusUnauthorized, domain.CodeUnauthorized},
		"bad token":  {"not-a-token", http.StatusUnauthorized, domain.CodeUnauthorized},
		"refresh":    {h.user(domain.RoleAdmin).refresh, http.StatusUnauthorized, domain.CodeUnauthorized},
		"logged out": {loggedOut(t, h, domain.RoleAdmin), http.StatusUnauthorized, domain.CodeUnauthorized},
	} {
		r := h.do("POST", "/codec/decode", c.token, body)
		var p struct{ Code domain.Code }
		r.json(t, &p)
		if r.status != c.status || p.Code != c.code || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s; want %d %s", name, r.status, r.body, c.status, c.code)
		}
		if strings.Contains(string(r.body), "ana@example.com") {
			t.Errorf("%s: the refusal carries the clear payload", name)
		}
	}
}

// loggedOut returns the access token of a user of role whose session has ended.
func loggedOut(t *testing.T, h *harness, role domain.Role) string {
	t.Helper()
	u := h.user(role)
	if r := h.do("POST", "/v1/auth/logout-all", u.token, ""); r.status != http.StatusNoContent {
		t.Fatalf("logout-all: %d %s", r.status, r.body)
	}
	return u.token
}

// A payload sealed with a key the bank does not hold, or altered, fails the request with
// payload_undecodable naming it, and nothing is decoded.
func TestCodec_UndecodablePayloadsAreNamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	good, err := h.codec.Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := testCodec(t).Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	foreign[0].Metadata[payloadcodec.MetadataKeyID] = []byte("retired-key")
	altered := proto.Clone(good[0]).(*commonpb.Payload)
	altered.Data[len(altered.Data)-1] ^= 0xff
	r := h.do("POST", "/codec/decode", h.user(domain.RoleSupport).token, payloadsBody(t, good[0], foreign[0], altered))
	var p struct {
		Code   domain.Code
		Errors []struct{ Field, Message string }
	}
	r.json(t, &p)
	if r.status != http.StatusUnprocessableEntity || p.Code != domain.CodePayloadUndecodable || len(p.Errors) != 2 ||
		p.Errors[0].Field != "payloads[1]" || !strings.Contains(p.Errors[0].Message, "retired-key") ||
		p.Errors[1].Field != "payloads[2]" || !strings.Contains(p.Errors[1].Message, "altered") {
		t.Fatalf("undecodable payloads: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "ana@example.com") {
		t.Fatal("the refusal carries the clear payload")
	}
}

// Admins encode what they type in the Temporal UI, so the workers read it; support, who do not act
// on workflows, may not.
func TestCodec_AdminsEncode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	clear := transferInput(t)
	r := h.do("POST", "/codec/encode", h.user(domain.RoleAdmin).token, payloadsBody(t, clear), "X-Namespace", "default")
	if r.status != http.StatusOK {
		t.Fatalf("encode: %d %s", r.status, r.body)
	}
	enc := readPayloads(t, r)
	if len(enc) != 1 || string(enc[0].Metadata["encoding"]) != payloadcodec.Encoding || strings.Contains(string(r.body), base64.StdEncoding.EncodeToString(clear.Data)) {
		t.Fatalf("encoded %v", enc)
	}
	dec, err := h.codec.Decode(enc)
	if err != nil || !proto.Equal(dec[0], clear) {
		t.Fatalf("the worker's codec reads back %v, %v", dec, err)
	}
	if r := h.do("POST", "/codec/encode", h.user(domain.RoleSupport).token, payloadsBody(t, clear)); r.status != http.StatusForbidden {
		t.Fatalf("support encodes: %d %s; want 403", r.status, r.body)
	}
}

// The Temporal SDK's own remote codec, which the Temporal CLI uses with --codec-endpoint and
// --codec-auth, speaks to the routes as they are.
func TestCodec_TemporalsRemoteCodecClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin)
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: h.srv.URL + "/codec",
		ModifyRequest: func(req *http.Request) error {
			req.Header.Set("X-Namespace", "default")
			req.Header.Set("Authorization", "Bearer "+admin.token)
			return nil
		},
	})
	clear := transferInput(t)
	enc, err := remote.Encode([]*commonpb.Payload{clear})
	if err != nil {
		t.Fatal(err)
	}
	if string(enc[0].Metadata["encoding"]) != payloadcodec.Encoding {
		t.Fatalf("the remote codec encoded %v", enc[0])
	}
	dec, err := remote.Decode(enc)
	if err != nil || !proto.Equal(dec[0], clear) {
		t.Fatalf("the remote codec decoded %v, %v", dec, err)
	}
	// Through a data converter, as the CLI shows a workflow's input.
	dc := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: h.srv.URL + "/codec", ModifyRequest: func(req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+admin.token)
			return nil
		},
	})
	sealed, err := h.codec.Encode([]*commonpb.Payload{clear})
	if err != nil {
		t.Fatal(err)
	}
	var in map[string]string
	if err := dc.FromPayload(sealed[0], &in); err != nil || in["email"] != "ana@example.com" {
		t.Fatalf("the CLI's converter read %v, %v", in, err)
	}
}

// The Temporal UI calls from its own origin: a preflight from an allowed origin is allowed POST with
// the UI's headers and credentials (the bank_codec cookie), and every answer to it, refusals
// included, may be read there; another origin is allowed nothing.
func TestCodec_CORSForTheTemporalUI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) {
		c.CodecCORSOrigins = []string{"https://temporal.bank.example", "http://localhost:8233"}
	})
	for _, path := range []string{"/codec/decode", "/codec/encode"} {
		r := h.do("OPTIONS", path, "", "", "Origin", "https://temporal.bank.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://temporal.bank.example" ||
			r.header.Get("Access-Control-Allow-Methods") != "POST" || r.header.Get("Access-Control-Max-Age") != "600" ||
			r.header.Get("Access-Control-Allow-Credentials") != "true" || len(r.body) != 0 {
			t.Fatalf("preflight of %s: %d %v %s", path, r.status, r.header, r.body)
		}
		for _, want := range []string{"Authorization", "Content-Type", "X-Namespace"} {
			if !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("preflight of %s does not allow %s: %q", path, want, r.header.Get("Access-Control-Allow-Headers"))
			}
		}
		if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight of %s: no Vary: Origin", path)
		}
		for _, origin := range []string{"https://evil.example", "http://localhost:8234", "null"} {
			r := h.do("OPTIONS", path, "", "", "Origin", origin, "Access-Control-Request-Method", "POST")
			if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Allow-Methods") != "" ||
				r.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("preflight of %s from %s: %d %v; want nothing allowed", path, origin, r.status, r.header)
			}
		}
	}
	enc, err := h.codec.Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	support := h.user(domain.RoleSupport).token
	for name, c := range map[string]struct {
		token, origin, allow string
		status               int
	}{
		"decoded":          {support, "http://localhost:8233", "http://localhost:8233", http.StatusOK},
		"refused":          {"", "https://temporal.bank.example", "https://temporal.bank.example", http.StatusUnauthorized},
		"another origin":   {support, "https://evil.example", "", http.StatusOK},
		"upper-case match": {support, "HTTP://LOCALHOST:8233", "HTTP://LOCALHOST:8233", http.StatusOK},
	} {
		r := h.do("POST", "/codec/decode", c.token, payloadsBody(t, enc...), "Origin", c.origin)
		if r.status != c.status || r.header.Get("Access-Control-Allow-Origin") != c.allow {
			t.Errorf("%s: %d, Access-Control-Allow-Origin %q; want %d, %q", name, r.status, r.header.Get("Access-Control-Allow-Origin"), c.status, c.allow)
		}
		if credentials := r.header.Get("Access-Control-Allow-Credentials"); (c.allow != "") != (credentials == "true") || (c.allow == "" && credentials != "") {
			t.Errorf("%s: Access-Control-Allow-Credentials %q beside Access-Control-Allow-Origin %q", name, credentials, c.allow)
		}
	}
	// Other routes answer no CORS at all.
	if r := h.do("GET", "/healthz", "", "", "Origin", "http://localhost:8233"); r.header.Get("Access-Control-Allow-Origin") != "" ||
		r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("a route outside the codec answers CORS")
	}
}

// Bad bodies are 4xx problems, never a 5xx, and decode nothing.
func TestCodec_BadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin).token
	enc, err := h.codec.Encode([]*commonpb.Payload{transferInput(t)})
	if err != nil {
		t.Fatal(err)
	}
	good := payloadsBody(t, enc...)
	data := base64.StdEncoding.EncodeToString(enc[0].Data)
	for name, c := range map[string]struct {
		body    string
		headers []string
		status  int
		code    domain.Code
	}{
		"malformed":       {`{"payloads":[`, nil, 400, domain.CodeInvalidJSON},
		"not an object":   {`[1,2]`, nil, 400, domain.CodeInvalidJSON},
		"trailing":        {good + ` {}`, nil, 400, domain.CodeInvalidJSON},
		"unknown field":   {`{"payloads":[],"keys":[]}`, nil, 400, domain.CodeInvalidJSON},
		"case variant":    {`{"Payloads":[]}`, nil, 400, domain.CodeInvalidJSON},
		"duplicate field": {`{"payloads":[],"payloads":[{"data":"` + data + `"}]}`, nil, 400, domain.CodeInvalidJSON},
		"not base64":      {`{"payloads":[{"data":"%%%"}]}`, nil, 400, domain.CodeInvalidJSON},
		"wrong type":      {`{"payloads":{"data":"x"}}`, nil, 400, domain.CodeInvalidJSON},
		"content type":    {good, []string{"Content-Type", "text/plain"}, 415, domain.CodeUnsupportedMedia},
		"oversized":       {`{"payloads":[{"data":"` + strings.Repeat("A", 5<<20) + `"}]}`, nil, 413, domain.CodeBodyTooLarge},
		"unknown query":   {good, nil, 400, domain.CodeUnknownParameter},
	} {
		path := "/codec/decode"
		if name == "unknown query" {
			path += "?key=k1"
		}
		r := h.do("POST", path, admin, c.body, c.headers...)
		var p struct{ Code domain.Code }
		if err := json.Unmarshal(r.body, &p); err != nil || r.status != c.status || p.Code != c.code {
			t.Errorf("%s: %d %.200s; want %d %s", name, r.status, r.body, c.status, c.code)
		}
	}
}
