package password

import (
	"strings"
	"sync"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	if ok, err := h.Verify(enc, "correct horse battery"); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, _ := h.Verify(enc, "correct horse batterz"); ok {
		t.Fatal("Verify(wrong) = true")
	}
	// No truncation: a long password differing only at its end must not match.
	long := strings.Repeat("x", 100)
	enc, _ = h.Hash(long + "a")
	if ok, _ := h.Verify(enc, long+"b"); ok {
		t.Fatal("passwords differing after 100 bytes matched")
	}
	if _, err := h.Verify("$2a$12$notargon", "x"); err == nil {
		t.Fatal("Verify accepted a non-argon2id hash")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw, email string
		ok        bool
	}{
		{"blue-Giraffe-runs-42", "ana@example.com", true},
		{"short", "", false},
		{strings.Repeat("ab1", 43), "", false}, // 129 characters
		{"Password1234", "", false},            // common, any case
		{"aaaaaaaaaaaaaaa", "", false},
		{"ababababababab", "", false},
		{"ana.lopez-2026-x", "ana.lopez@example.com", false},
		{"tab\tinside-password", "", false},
		{"ñandú-canta-fuerte", "", true},
	}
	for _, tt := range tests {
		msg := Check(tt.pw, tt.email)
		if (msg == "") != tt.ok {
			t.Errorf("Check(%q) = %q; want ok=%v", tt.pw, msg, tt.ok)
		}
	}
}

// Each hash holds Params.Memory while it runs: a burst of logins must not hold more than
// MaxConcurrent of them at once.
func TestHasher_BoundsConcurrentHashes(t *testing.T) {
	t.Parallel()
	h := NewHasher(Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16, MaxConcurrent: 2})
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%2 == 0 {
				_, _ = h.Hash("correct horse battery")
			} else {
				_, _ = h.Verify(enc, "correct horse battery")
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := h.peak.Load(); got > 2 {
		t.Fatalf("%d hashes ran at once; want at most 2", got)
	}
	if got := h.peak.Load(); got < 1 {
		t.Fatal("no hash was counted")
	}
}

// A stored hash cannot ask for more work than the bounds allow.
func TestVerify_RefusesCostlyParameters(t *testing.T) {
	t.Parallel()
	h := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	for _, enc := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=1024,t=1000,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=1024,t=1,p=0$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
	} {
		if _, err := h.Verify(enc, "x"); err == nil {
			t.Errorf("Verify(%q) accepted its parameters", enc)
		}
	}
}
