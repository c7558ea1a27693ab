package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// The document's own examples are what the API takes: every example amount and currency, sent in a
// deposit, is accepted, and the example account number passes the API's check digit.
func TestOpenAPI_ExamplesAreAccepted(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas struct {
				Amount struct {
					Examples []any `yaml:"examples"`
				} `yaml:"Amount"`
				Currency struct {
					Examples []string `yaml:"examples"`
				} `yaml:"Currency"`
				Account struct {
					Properties struct {
						Number struct {
							Examples []string `yaml:"examples"`
						} `yaml:"number"`
					} `yaml:"properties"`
				} `yaml:"Account"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	amounts, currencies := doc.Components.Schemas.Amount.Examples, doc.Components.Schemas.Currency.Examples
	numbers := doc.Components.Schemas.Account.Properties.Number.Examples
	if len(amounts) == 0 || len(currencies) == 0 || len(numbers) == 0 {
		t.Fatalf("the document lost its examples: amounts %v, currencies %v, numbers %v", amounts, currencies, numbers)
	}
	for _, n := range numbers {
		if !domain.ValidAccountNumber(n) {
			t.Errorf("example account number %s fails the check digit", n)
		}
	}
	h := newHarness(t)
	admin, alice := h.user(domain.RoleAdmin), h.user(domain.RoleClient)
	for _, currency := range currencies {
		acc := h.account(alice, currency, 0)
		for i, amount := range amounts {
			raw, err := json.Marshal(amount)
			if err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf(`{"amount":%s,"currency":%q}`, raw, currency)
			r := h.do("POST", "/v1/admin/accounts/"+acc.ID.String()+"/deposits", admin.token, body, "Idempotency-Key", fmt.Sprintf("example-%s-%d", currency, i))
			if r.status != http.StatusAccepted {
				t.Errorf("the document's example %s: %d %s", body, r.status, r.body)
			}
		}
	}
}
