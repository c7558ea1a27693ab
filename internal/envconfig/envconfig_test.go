package envconfig

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// Amounts per currency are laid over the defaults; every malformed pair is named.
func TestAmountsByCurrency(t *testing.T) {
	defs := map[string]int64{"USD": 100, "EUR": 200}
	r := New(lookup(map[string]string{"A": " EUR=250 , JPY=7"}))
	if got := r.AmountsByCurrency("A", defs, 1, 1000); !maps.Equal(got, map[string]int64{"USD": 100, "EUR": 250, "JPY": 7}) || r.Err() != nil {
		t.Fatalf("got %v, %v", got, r.Err())
	}
	if defs["EUR"] != 200 {
		t.Fatal("the defaults were changed")
	}
	if got := New(lookup(nil)).AmountsByCurrency("A", defs, 1, 1000); !maps.Equal(got, defs) {
		t.Fatalf("unset: %v; want the defaults", got)
	}
	for _, bad := range []string{"USD", "usd=5", "USD=0", "USD=1001", "USD=1.5", "USD=5,USD=6", "USD=5,", "=5"} {
		r := New(lookup(map[string]string{"A": bad}))
		r.AmountsByCurrency("A", defs, 1, 1000)
		if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "A") {
			t.Errorf("%q: %v; want an error naming A", bad, err)
		}
	}
}

// A listen address is host:port, its default when unset, and off when set empty or to off.
func TestListenAddr(t *testing.T) {
	for env, want := range map[string]string{
		"unset": "127.0.0.1:9091", "": "", "off": "", " OFF ": "", ":9091": ":9091",
		"0.0.0.0:9092": "0.0.0.0:9092", "127.0.0.1:0": "127.0.0.1:0", "[::1]:9091": "[::1]:9091",
	} {
		vars := map[string]string{"M": env}
		if env == "unset" {
			vars = nil
		}
		r := New(lookup(vars))
		if got := r.ListenAddr("M", "127.0.0.1:9091"); got != want || r.Err() != nil {
			t.Errorf("M=%q: %q, %v; want %q", env, got, r.Err(), want)
		}
	}
	for _, bad := range []string{"9091", "localhost", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1", "on"} {
		r := New(lookup(map[string]string{"M": bad}))
		r.ListenAddr("M", "127.0.0.1:9091")
		if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "M ") {
			t.Errorf("M=%q: %v; want an error naming M", bad, err)
		}
	}
}

// Origins are exact web origins, lower-cased; anything else (a path, a wildcard, another scheme)
// is named.
func TestOrigins(t *testing.T) {
	def := []string{"http://localhost:8233"}
	r := New(lookup(map[string]string{"O": " https://Temporal.Example.com , http://127.0.0.1:8233/"}))
	if got := r.Origins("O", def); !slices.Equal(got, []string{"https://temporal.example.com", "http://127.0.0.1:8233"}) || r.Err() != nil {
		t.Fatalf("got %v, %v", got, r.Err())
	}
	if got := New(lookup(nil)).Origins("O", def); !slices.Equal(got, def) {
		t.Fatalf("unset: %v; want the default", got)
	}
	for _, bad := range []string{"*", "https://*.example.com", "localhost:8233", "ftp://example.com", "https://example.com/ui", "https://u:p@example.com", "https://example.com?x=1", "https://a.com,"} {
		r := New(lookup(map[string]string{"O": bad}))
		r.Origins("O", def)
		if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "O") {
			t.Errorf("%q: %v; want an error naming O", bad, err)
		}
	}
}

// A Reader is the environment of a library that reads its own variables: through a lookup of its
// own it shows that lookup's values exactly, and no process environment.
func TestReader_AsALibrarysEnvironment(t *testing.T) {
	r := New(lookup(map[string]string{"A": " x "}))
	if v, ok := r.LookupEnv("A"); !ok || v != " x " {
		t.Fatalf("LookupEnv(A) = %q, %v", v, ok)
	}
	if _, ok := r.LookupEnv("B"); ok {
		t.Fatal("LookupEnv(B) found an unset variable")
	}
	if env := r.Environ(); len(env) != 0 {
		t.Fatalf("Environ() = %v; want nothing from the process", env)
	}
}
