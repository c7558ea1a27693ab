package api_test

import (
	"net/http"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/domain"
)

// A registration's locale is the one its body names, else the one its Accept-Language prefers,
// else English; the registration keeps it for the user it creates.
func TestRegister_ChoosesTheLocale(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		body, acceptLanguage string
		want                 domain.Locale
	}{
		{`"locale":"es"`, "", domain.LocaleSpanish},
		{`"locale":"en"`, "es-CO,es;q=0.9", domain.LocaleEnglish},
		{`"locale":null`, "es-CO,es;q=0.9,en;q=0.8", domain.LocaleSpanish},
		{``, "fr-FR,es;q=0.5", domain.LocaleSpanish},
		{``, "de-DE", domain.LocaleEnglish},
		{``, "", domain.LocaleEnglish},
	}
	for i, c := range cases {
		body := `{"email":"locale` + string(rune('a'+i)) + `@example.com","password":"blue-Giraffe-runs-42","full_name":"Rosa Muñoz"`
		if c.body != "" {
			body += "," + c.body
		}
		body += "}"
		var headers []string
		if c.acceptLanguage != "" {
			headers = []string{"Accept-Language", c.acceptLanguage}
		}
		r := h.do("POST", "/v1/auth/register", "", body, headers...)
		if r.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", body, r.status, r.body)
		}
		var op struct{ ID string }
		r.json(t, &op)
		reg, err := h.store.GetRegistration(t.Context(), op.ID)
		if err != nil || reg.Locale != c.want {
			t.Errorf("%s with Accept-Language %q: locale %q (%v); want %s", body, c.acceptLanguage, reg.Locale, err, c.want)
		}
	}
	before := h.counts()
	requireProblem(t, h.do("POST", "/v1/auth/register", "", `{"email":"x@example.com","password":"blue-Giraffe-runs-42","full_name":"X","locale":"fr"}`), http.StatusUnprocessableEntity, "locale")
	requireProblem(t, h.do("POST", "/v1/auth/register", "", `{"email":"x@example.com","password":"blue-Giraffe-runs-42","full_name":"X","locale":"es-CO"}`), http.StatusUnprocessableEntity, "locale")
	if !equalCounts(before, h.counts()) {
		t.Fatal("a refused registration left something")
	}
}

// GET /v1/me shows the locale; PATCH /v1/me changes it, and only to one the bank writes.
func TestMe_LocaleIsShownAndEditable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	var me struct {
		FullName string        `json:"full_name"`
		Locale   domain.Locale `json:"locale"`
	}
	h.do("GET", "/v1/me", u.token, "").json(t, &me)
	if me.Locale != domain.LocaleEnglish {
		t.Fatalf("a new user's locale %q; want en", me.Locale)
	}
	before := h.counts()
	for _, body := range []string{`{"locale":"fr"}`, `{"locale":"ES"}`, `{"locale":1}`, `{"locale":"es","Locale":"en"}`} {
		r := h.do("PATCH", "/v1/me", u.token, body)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("PATCH %s: %d %s", body, r.status, r.body)
		}
	}
	if !equalCounts(before, h.counts()) {
		t.Fatal("a refused PATCH changed the user")
	}
	r := h.do("PATCH", "/v1/me", u.token, `{"locale":"es"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	r.json(t, &me)
	if me.Locale != domain.LocaleSpanish {
		t.Fatalf("after PATCH: %+v", me)
	}
	h.do("PATCH", "/v1/me", u.token, `{"full_name":"Rosa Muñoz","locale":null}`).json(t, &me)
	h.do("GET", "/v1/me", u.token, "").json(t, &me)
	if me.Locale != domain.LocaleSpanish || me.FullName != "Rosa Muñoz" {
		t.Fatalf("a null locale changed it: %+v", me)
	}
}

// The document's User schema is what GET /v1/me answers, key for key, and every schema that takes
// a locale lists exactly the bank's.
func TestContract_UserSchemaAndLocales(t *testing.T) {
	t.Parallel()
	type schema struct {
		Required   []string `yaml:"required"`
		Properties map[string]struct {
			Enum []any `yaml:"enum"`
		} `yaml:"properties"`
	}
	var doc struct {
		Components struct {
			Schemas map[string]schema `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	var me map[string]any
	h.do("GET", "/v1/me", u.token, "").json(t, &me)
	user := doc.Components.Schemas["User"]
	if len(user.Required) != len(me) || len(user.Properties) != len(me) {
		t.Fatalf("User requires %v and has %d properties; GET /v1/me answers %v", user.Required, len(user.Properties), me)
	}
	for _, k := range user.Required {
		if _, ok := me[k]; !ok {
			t.Errorf("User requires %s, which GET /v1/me does not answer", k)
		}
	}
	for _, name := range []string{"User", "StaffUser", "RegisterRequest", "UpdateMeRequest"} {
		var got []string
		for _, v := range doc.Components.Schemas[name].Properties["locale"].Enum {
			if v != nil {
				got = append(got, v.(string))
			}
		}
		if len(got) != len(domain.Locales) {
			t.Errorf("%s.locale lists %v; want %v", name, got, domain.Locales)
			continue
		}
		for i, l := range domain.Locales {
			if got[i] != string(l) {
				t.Errorf("%s.locale lists %v; want %v", name, got, domain.Locales)
			}
		}
	}
}
