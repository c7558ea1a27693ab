package api

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/domain"
)

// Every code has one HTTP status in the error table and one spelling in the OpenAPI document's Code
// enum, and the document lists no code the bank does not have.
func TestCodes_OneTableOneSpelling(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Code struct {
					Enum []domain.Code `yaml:"enum"`
				} `yaml:"Code"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.Code.Enum
	for _, c := range domain.Codes {
		if _, ok := problemKinds[c]; !ok {
			t.Errorf("code %s has no row in problemKinds", c)
		}
		if !slices.Contains(documented, c) {
			t.Errorf("code %s is not in the OpenAPI Code enum", c)
		}
	}
	for _, c := range documented {
		if !c.Known() {
			t.Errorf("the OpenAPI Code enum lists %s, which the bank does not have", c)
		}
	}
	if len(problemKinds) != len(domain.Codes) {
		t.Errorf("problemKinds has %d rows for %d codes", len(problemKinds), len(domain.Codes))
	}
}
