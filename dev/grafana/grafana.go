// Package grafana reads a Grafana dashboard's JSON (deploy/grafana/dashboards) so tests can check
// its queries: which panels query what, and which metrics each PromQL expression names.
package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Dashboard is the part of a dashboard's JSON the checks read.
type Dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"` // a string, or an object with a "query" field
		} `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard's panel; a row holds panels of its own when it is collapsed.
type Panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *Datasource `json:"datasource"`
	Targets    []Target    `json:"targets"`
	Panels     []Panel     `json:"panels"`
}

// Datasource names a data source by its uid.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *Datasource `json:"datasource"`
}

// Query is a PromQL expression and where the dashboard uses it.
type Query struct {
	Where string // "panel title (A)", or "variable name"
	Expr  string
}

// Load reads the dashboard at path.
func Load(path string) (Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Dashboard{}, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return Dashboard{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return d, nil
}

// AllPanels lists the dashboard's panels, those inside rows included, rows excluded.
func (d Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// Queries lists every PromQL expression of the dashboard: its panels' targets and its query
// variables'.
func (d Dashboard) Queries() []Query {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Where: fmt.Sprintf("%s (%s)", p.Title, t.RefID), Expr: t.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		// label_values(metric, label) and query_result(expr) name metrics too.
		q = strings.TrimSpace(q)
		if inner, ok := strings.CutPrefix(q, "label_values("); ok {
			q = strings.TrimSuffix(inner, ")")
			if i := strings.LastIndex(q, ","); i >= 0 {
				q = q[:i]
			}
		} else if inner, ok := strings.CutPrefix(q, "query_result("); ok {
			q = strings.TrimSuffix(inner, ")")
		}
		out = append(out, Query{Where: "variable " + v.Name, Expr: q})
	}
	return out
}

var (
	stringLiteral = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	labelMatchers = regexp.MustCompile(`\{[^}]*\}`)
	rangeOrSub    = regexp.MustCompile(`\[[^\]]*\]`)
	labelLists    = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identifier    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// Grafana's variables ($__rate_interval, ${job}) are no metrics.
	variable = regexp.MustCompile(`\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*`)
)

// keywords are PromQL's words that are neither functions (followed by a parenthesis) nor metrics.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true,
	"on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true, "atan2": true,
}

// MetricNames returns the metric names a PromQL expression selects, sorted and each once: every
// identifier that is not a function, an aggregation, a keyword, a label, a duration or a string.
func MetricNames(expr string) []string {
	expr = variable.ReplaceAllString(expr, " ")
	expr = stringLiteral.ReplaceAllString(expr, `""`)
	expr = labelMatchers.ReplaceAllString(expr, " ")
	expr = rangeOrSub.ReplaceAllString(expr, " ")
	expr = labelLists.ReplaceAllString(expr, " ")
	var names []string
	for _, loc := range identifier.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		if loc[0] > 0 && isNumberPart(expr[loc[0]-1]) {
			continue // the exponent of 1e3, or a digit's neighbour
		}
		rest := strings.TrimLeft(expr[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || keywords[strings.ToLower(name)] {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func isNumberPart(c byte) bool { return c >= '0' && c <= '9' || c == '.' }
