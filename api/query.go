package api

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// queryParams maps each documented operation ("GET /v1/transfers") to the query parameters the
// OpenAPI document gives it. The document is the one list: a parameter it does not name is refused.
type queryParams map[string][]string

func documentedQueryParams(doc []byte) (queryParams, error) {
	type param struct {
		Name string `yaml:"name"`
		In   string `yaml:"in"`
	}
	var d struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	out := queryParams{}
	for path, item := range d.Paths {
		var shared []param
		if n, ok := item["parameters"]; ok {
			if err := n.Decode(&shared); err != nil {
				return nil, fmt.Errorf("parameters of %s: %w", path, err)
			}
		}
		for method, n := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Parameters []param `yaml:"parameters"`
			}
			if err := n.Decode(&op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			names := []string{}
			for _, p := range append(shared, op.Parameters...) {
				if p.In == "query" {
					names = append(names, p.Name)
				}
			}
			out[strings.ToUpper(method)+" "+path] = names
		}
	}
	return out, nil
}

// unknown returns the query parameters of a request to route that the route does not take, sorted.
func (q queryParams) unknown(route string, query map[string][]string) []string {
	allowed := q[route]
	var out []string
	for name := range query {
		if !slices.Contains(allowed, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
