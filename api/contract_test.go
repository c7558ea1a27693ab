package api_test

import (
	"github.com/bankforge/bank/domain"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/api"
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
			case "get", "post", "put", "patch", "delete":
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
	routes, err := api.Routes(h.handler)
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

// Every route, generated from the router and its documented roles, is called as each role: a role
// that is not listed is refused (401 anonymous, 403 otherwise) and a listed one is let through.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	routes, err := api.Routes(h.handler)
	if err != nil {
		t.Fatal(err)
	}
	documented := loadOpenAPI(t).operations()
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
		allowed := documented[route]
		if len(allowed) == 0 {
			t.Errorf("%s documents no x-roles", route)
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
