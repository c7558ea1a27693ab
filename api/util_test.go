package api_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalCounts(a, b map[string]int) bool { return maps.Equal(a, b) }

func containsJSON(body []byte, s string) bool { return strings.Contains(string(body), s) }
