package api_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
)

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		OperationID string   `yaml:"operationId"`
		Roles       []string `yaml:"x-roles"`
	} `yaml:"paths"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	return doc
}

// operations lists "METHOD /path" -> roles from the document.
func (d openAPIDoc) operations() map[string][]string {
	out := map[string][]string{}
	for path, methods := range d.Paths {
		for method, op := range methods {
			switch method {
			case "get", "post", "put", "patch", "delete", "options":
				out[strings.ToUpper(method)+" "+path] = op.Roles
			}
		}
	}
	return out
}

// The router and the OpenAPI document describe the same routes, in both directions.
func TestContract_RouterMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.mux)
	if err != nil {
		t.Fatal(err)
	}
	documented := loadOpenAPI(t).operations()
	var undocumented, unrouted []string
	for _, r := range routes {
		if _, ok := documented[r]; !ok {
			undocumented = append(undocumented, r)
		}
	}
	for op := range documented {
		if !slices.Contains(routes, op) {
			unrouted = append(unrouted, op)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unrouted)
	if len(undocumented) > 0 || len(unrouted) > 0 {
		t.Fatalf("routes without documentation: %v\ndocumented operations without a route: %v", undocumented, unrouted)
	}
	r := h.do("GET", "/openapi.yaml", "", "")
	if r.status != http.StatusOK || string(r.body) != string(api.OpenAPI) {
		t.Fatalf("GET /openapi.yaml = %d", r.status)
	}
}

// Every route of the router is called as each role, against the hand-written access
// specification (access_test.go): a role it does not list is refused (401 anonymous, 403
// otherwise) and a listed one is let through.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.mux)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"anonymous": ""}
	for _, role := range []string{"client", "support", "admin"} {
		tokens[role] = h.user(domain.Role(role)).token
	}
	// Logging out everywhere ends the caller's sessions: call it last.
	sort.SliceStable(routes, func(i, j int) bool {
		return !strings.HasSuffix(routes[i], "/logout-all") && strings.HasSuffix(routes[j], "/logout-all")
	})
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, "{id}", "00000000-0000-4000-8000-000000000000")
		allowed := accessSpec[route]
		if len(allowed) == 0 {
			t.Errorf("%s is not in the access specification", route)
			continue
		}
		for role, token := range tokens {
			r := h.do(method, path, token, "", "Idempotency-Key", "matrix-key-0001")
			denied := r.status == http.StatusUnauthorized || r.status == http.StatusForbidden
			switch {
			case slices.Contains(allowed, role) && denied:
				t.Errorf("%s as %s: %d; the role is allowed", route, role, r.status)
			case !slices.Contains(allowed, role) && role == "anonymous" && r.status != http.StatusUnauthorized:
				t.Errorf("%s as anonymous: %d; want 401", route, r.status)
			case !slices.Contains(allowed, role) && role != "anonymous" && r.status != http.StatusForbidden:
				t.Errorf("%s as %s: %d; want 403", route, role, r.status)
			}
			if r.status >= 500 {
				t.Errorf("%s as %s: %d %s", route, role, r.status, r.body)
			}
		}
	}
}

// A query parameter the route does not document is refused with 400, naming it, on every route,
// before the route does anything.
func TestUnknownQueryParameter_IsRefusedOnEveryRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.mux)
	if err != nil {
		t.Fatal(err)
	}
	admin := h.user(domain.RoleAdmin).token
	documented := loadOpenAPI(t).operations()
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		if path == "/healthz" || path == "/readyz" || path == "/openapi.yaml" || strings.HasSuffix(path, "/logout-all") {
			continue
		}
		token := admin
		if !slices.Contains(documented[route], "admin") {
			continue
		}
		path = strings.ReplaceAll(path, "{id}", "00000000-0000-4000-8000-000000000000")
		r := h.do(method, path+"?limit=5&no_such_filter=1", token, "", "Idempotency-Key", "unknown-param-0001")
		var p struct {
			Code   domain.Code
			Errors []struct{ Field string }
		}
		r.json(t, &p)
		if r.status != http.StatusBadRequest || p.Code != domain.CodeUnknownParameter || len(p.Errors) == 0 || p.Errors[len(p.Errors)-1].Field != "no_such_filter" {
			t.Errorf("%s with an unknown parameter: %d %s; want 400 naming no_such_filter", route, r.status, r.body)
		}
	}
	if n := h.workflows.starts(); n != 0 {
		t.Fatalf("%d workflows started by refused requests", n)
	}
}

// The audit log's type filter takes the event types the document lists, and refuses any other.
func TestAuditEvents_TypeFilterIsTheDocumentedList(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string
				Schema struct{ Enum []string }
			}
		}
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, p := range doc.Paths["/v1/admin/audit-events"]["get"].Parameters {
		if p.Name == "type" {
			documented = p.Schema.Enum
		}
	}
	if !slices.Equal(documented, audit.EventTypes) {
		t.Fatalf("documented types %v; the audit log has %v", documented, audit.EventTypes)
	}
	h := newHarness(t)
	admin := h.user(domain.RoleAdmin).token
	if r := h.do("GET", "/v1/admin/audit-events?type=nope", admin, ""); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("type=nope: %d %s; want 422", r.status, r.body)
	}
	if r := h.do("GET", "/v1/admin/audit-events?type=auth.login_failed", admin, ""); r.status != http.StatusOK {
		t.Fatalf("type=auth.login_failed: %d %s", r.status, r.body)
	}
}
