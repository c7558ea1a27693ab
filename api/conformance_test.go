package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/api"
)

// The API tests hold every exchange to the OpenAPI document (conformance.wrap, installed by the
// harness in front of the API): each answer's status must be documented for its operation, its
// Content-Type among those documented for that status, its headers and body valid against their
// schemas, and, when the API accepted the request (2xx), the request's parameters and body valid
// too; requests the API refused are not checked, so tests may still send bad input. A path the
// document does not name is the web app's when it is outside the API, and otherwise must be
// answered with a problem document.
//
// The document is read as written but for one thing: its response objects are closed. An object
// schema with properties and no word on others takes no others (unevaluatedProperties: false), so a
// field renamed in the code but not in the document fails as an unknown property, not only as a
// missing one when it is required.

// conformance is the document loaded for checking the API's traffic.
type conformance struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema
	options *openapi3filter.Options
}

var loadConformance = sync.OnceValues(func() (*conformance, error) {
	var tree any
	if err := yaml.Unmarshal(api.OpenAPI, &tree); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, errors.New("openapi.yaml is not an object")
	}
	closeObjects(root)
	// The checked paths are relative: the tests' servers listen on their own addresses.
	delete(root, "servers")
	b, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load the closed document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the closed document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value == nil {
		return nil, errors.New("the document has no Problem schema")
	}
	// /openapi.yaml's body is the document's text (a string), not the data it encodes.
	openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.PlainBodyDecoder)
	return &conformance{doc: doc, router: router, problem: problem.Value, options: &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		// Who may call what is the role matrix's claim (contract_test.go); here only the shapes.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)),
		},
	}}, nil
})

// closeObjects makes every object schema of the document that lists properties, and says nothing of
// others, take no others. A schema that is a member of an allOf stays open (its siblings add
// properties) and its allOf holder is closed instead; a component named in an allOf gets an open
// copy, "<name>.open", for that use.
func closeObjects(root map[string]any) {
	components, _ := root["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	const prefix = "#/components/schemas/"
	inAllOf := map[string]bool{}
	var findAllOfRefs func(n any)
	findAllOfRefs = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			if all, ok := n["allOf"].([]any); ok {
				for i, m := range all {
					if ref, ok := m.(map[string]any)["$ref"].(string); ok && strings.HasPrefix(ref, prefix) {
						name := strings.TrimPrefix(ref, prefix)
						inAllOf[name] = true
						all[i] = map[string]any{"$ref": prefix + name + ".open"}
					}
				}
			}
			for _, v := range n {
				findAllOfRefs(v)
			}
		case []any:
			for _, v := range n {
				findAllOfRefs(v)
			}
		}
	}
	findAllOfRefs(root)
	var walk func(n any, member bool)
	walk = func(n any, member bool) {
		switch n := n.(type) {
		case map[string]any:
			_, hasProps := n["properties"]
			_, hasAll := n["allOf"]
			_, saysAdditional := n["additionalProperties"]
			_, saysUnevaluated := n["unevaluatedProperties"]
			if (hasProps || hasAll) && !member && !saysAdditional && !saysUnevaluated {
				n["unevaluatedProperties"] = false
			}
			for k, v := range n {
				walk(v, k == "allOf")
			}
		case []any:
			for _, v := range n {
				walk(v, member)
			}
		}
	}
	open := map[string]any{}
	for name := range inAllOf {
		open[name+".open"] = deepCopy(schemas[name])
	}
	walk(root, false)
	for name, s := range open {
		walk(s, true)
		schemas[name] = s
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// exchange is one request and its answer as the API gave it.
type exchange struct {
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// check returns what in e disagrees with the document, or nil.
func (c *conformance) check(e exchange) error {
	var errs []error
	if e.header.Get("X-Content-Type-Options") != "nosniff" {
		errs = append(errs, errors.New("no X-Content-Type-Options: nosniff"))
	}
	if e.header.Get("X-Request-Id") == "" {
		errs = append(errs, errors.New("no X-Request-Id"))
	}
	if ct := e.header.Get("Content-Type"); strings.HasSuffix(mediaType(ct), "json") && e.header.Get("Cache-Control") != "no-store" {
		errs = append(errs, fmt.Errorf("%s answered without Cache-Control: no-store", ct))
	}
	ctx := context.Background()
	route, params, err := c.router.FindRoute(e.req)
	switch {
	case errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed):
		// No operation: the answer is a problem (404 no such route, 405 no such method, 429 over the
		// client's budget), and nothing else.
		if mediaType(e.header.Get("Content-Type")) != "application/problem+json" || e.status < 400 {
			return errors.Join(append(errs, fmt.Errorf("no documented operation, and answered %d %s rather than a problem", e.status, e.header.Get("Content-Type")))...)
		}
		var v any
		if err := json.Unmarshal(e.body, &v); err != nil {
			return errors.Join(append(errs, fmt.Errorf("problem body: %w", err))...)
		}
		if err := c.problem.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
			errs = append(errs, fmt.Errorf("problem body: %w", err))
		}
		return errors.Join(errs...)
	case err != nil:
		return errors.Join(append(errs, err)...)
	}
	in := &openapi3filter.RequestValidationInput{Request: e.req, PathParams: params, Route: route, Options: c.options}
	if e.status >= 200 && e.status < 300 {
		e.req.Body = io.NopCloser(bytes.NewReader(e.reqBody))
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			errs = append(errs, fmt.Errorf("accepted request: %w", err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: e.status, Header: e.header, Options: c.options}
	out.SetBodyBytes(e.body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, fmt.Errorf("response: %w", err))
	}
	// A status documented with no content has no body.
	if r := route.Operation.Responses.Status(e.status); r != nil && r.Value != nil && len(r.Value.Content) == 0 && len(e.body) > 0 {
		errs = append(errs, fmt.Errorf("response: %d is documented with no content, and has a %s body", e.status, e.header.Get("Content-Type")))
	}
	return errors.Join(errs...)
}

func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// wrap checks every exchange with next that concerns the API, telling report what disagrees with
// the document. A WebSocket's handshake is checked when it is taken over (the socket then belongs to
// the test); any other exchange once next has answered.
func (c *conformance) wrap(next http.Handler, report func(method, path string, status int, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPIPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		var reqBody bytes.Buffer
		if r.Body != nil {
			r.Body = teeBody{Reader: io.TeeReader(r.Body, &reqBody), Closer: r.Body}
		}
		// The request as it came, for the check: handlers and middleware may change r's context.
		seen := r.Clone(context.Background())
		rec := &recorder{ResponseWriter: w}
		finish := func() {
			e := exchange{req: seen, reqBody: reqBody.Bytes(), status: rec.status, header: w.Header().Clone(), body: rec.body.Bytes()}
			if e.status == 0 {
				e.status = http.StatusOK
			}
			if err := c.check(e); err != nil {
				report(r.Method, r.URL.RequestURI(), e.status, err)
			}
		}
		rec.onHijack = finish
		next.ServeHTTP(rec, r)
		if !rec.hijacked {
			finish()
		}
	})
}

// isAPIPath is the API's share of the paths, as the document's description of the web app says.
func isAPIPath(p string) bool {
	switch p {
	case "/v1", "/healthz", "/readyz", "/openapi.yaml":
		return true
	}
	return strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/codec/")
}

type teeBody struct {
	io.Reader
	io.Closer
}

// recorder passes an answer through and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
	onHijack func()
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() { _ = http.NewResponseController(r.ResponseWriter).Flush() }

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		r.onHijack()
	}
	return conn, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// The document itself is valid OpenAPI 3.1, its examples included: a YAML slip (a comma in an
// unquoted description of a flow mapping makes a stray key) fails here, not in a client's tools.
func TestConformance_DocumentIsValid(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %s; the document is written for 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation(), openapi3.EnableMultiError()); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConformance(); err != nil {
		t.Fatal(err)
	}
}

// A negative control: the check finds each kind of disagreement it is there for, a renamed field
// first, and lets through what the document allows.
func TestConformance_CatchesWhatDisagrees(t *testing.T) {
	t.Parallel()
	c, err := loadConformance()
	if err != nil {
		t.Fatal(err)
	}
	const user = `{"id":"0b6f1c1e-6d3a-4f57-9c55-2a4f3c1d9e01","email":"ana@example.com","full_name":"Ana","phone":null,"role":"client","status":"active","locale":"es","created_at":"2026-01-31T00:00:00Z"}`
	problem := func(status int, code string) string {
		return fmt.Sprintf(`{"type":"https://docs.bank.example/problems/%s","title":"x","status":%d,"code":"%s"}`, code, status, code)
	}
	tests := []struct {
		name         string
		method, path string
		reqBody      string
		status       int
		contentType  string
		body         string
		noSniff      bool
		want         string // in the report; "" for none
	}{
		{name: "as documented", method: "GET", path: "/v1/me", status: 200, contentType: "application/json", body: user},
		{name: "a required field renamed", method: "GET", path: "/v1/me", status: 200, contentType: "application/json",
			body: strings.Replace(user, `"full_name"`, `"name"`, 1), want: "full_name"},
		{name: "an optional field renamed", method: "POST", path: "/v1/auth/login", reqBody: `{"email":"a@example.com","password":"p"}`,
			status: 200, contentType: "application/json", body: `{"access_token":"a","refreshToken":"r","token_type":"Bearer","expires_in":900}`, want: "refreshToken"},
		{name: "a field the document does not name", method: "GET", path: "/v1/me", status: 200, contentType: "application/json",
			body: strings.Replace(user, `"phone":null`, `"phone":null,"password_hash":"x"`, 1), want: "password_hash"},
		{name: "null where the type allows it", method: "GET", path: "/v1/me", status: 200, contentType: "application/json",
			body: strings.Replace(user, `"phone":null`, `"phone":"+573001234567"`, 1)},
		{name: "a number where a string or null is", method: "GET", path: "/v1/me", status: 200, contentType: "application/json",
			body: strings.Replace(user, `"phone":null`, `"phone":5`, 1), want: "phone"},
		{name: "a value outside the enum", method: "GET", path: "/v1/me", status: 200, contentType: "application/json",
			body: strings.Replace(user, `"role":"client"`, `"role":"root"`, 1), want: "role"},
		{name: "an undocumented status", method: "GET", path: "/v1/me", status: 418, contentType: "application/problem+json",
			body: problem(418, "not_found"), want: "status is not supported"},
		{name: "a problem sent as plain JSON", method: "GET", path: "/v1/accounts/x", status: 404, contentType: "application/json",
			body: problem(404, "not_found"), want: "Content-Type"},
		{name: "a problem with an unknown code", method: "GET", path: "/v1/accounts/x", status: 404, contentType: "application/problem+json",
			body: problem(404, "no_such_code"), want: "code"},
		{name: "an accepted request the document refuses", method: "POST", path: "/v1/auth/login", reqBody: `{"email":"a@example.com","password":"p","remember":true}`,
			status: 200, contentType: "application/json", body: `{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":900}`, want: "remember"},
		{name: "a refused request the document refuses", method: "POST", path: "/v1/auth/login", reqBody: `{"email":"a@example.com","password":"p","remember":true}`,
			status: 422, contentType: "application/problem+json", body: problem(422, "validation_failed")},
		{name: "no such route, answered as a problem", method: "GET", path: "/v1/nope", status: 404, contentType: "application/problem+json", body: problem(404, "not_found")},
		{name: "no such route, answered otherwise", method: "GET", path: "/v1/nope", status: 200, contentType: "text/plain", body: "hello", want: "no documented operation"},
		{name: "no such method", method: "DELETE", path: "/v1/me", status: 405, contentType: "application/problem+json", body: problem(405, "method_not_allowed")},
		{name: "the web app is not the API's", method: "GET", path: "/accounts", status: 200, contentType: "text/html", body: "<!doctype html>"},
		{name: "no nosniff", method: "GET", path: "/v1/me", status: 200, contentType: "application/json", body: user, noSniff: true, want: "nosniff"},
		{name: "a body where none is documented", method: "POST", path: "/v1/auth/logout-all", status: 204, contentType: "application/json", body: `{}`, want: "no content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reports []string
			h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				if !tt.noSniff {
					w.Header().Set("X-Content-Type-Options", "nosniff")
				}
				w.Header().Set("X-Request-Id", "test")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}), func(method, path string, status int, err error) {
				reports = append(reports, err.Error())
			})
			var body io.Reader
			if tt.reqBody != "" {
				body = strings.NewReader(tt.reqBody)
			}
			req := httptest.NewRequest(tt.method, tt.path, body)
			req.Header.Set("Authorization", "Bearer x")
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := strings.Join(reports, "\n")
			switch {
			case tt.want == "" && got != "":
				t.Fatalf("reported what the document allows:\n%s", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Fatalf("report %q does not mention %q", got, tt.want)
			}
		})
	}
}
