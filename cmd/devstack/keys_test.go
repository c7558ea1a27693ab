package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bankforge/bank/internal/payloadcodec"
)

// make dev encrypts with a key of its own, made once and kept beside Temporal's state, so the
// histories of one run decode in the next; a key file it cannot use stops it rather than start
// with another key.
func TestDevPayloadKeys_MadeOnceAndKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := devPayloadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := payloadcodec.ParseKeys(first)
	if err != nil || len(keys) != 1 {
		t.Fatalf("the generated setting %v: %v", keys, err)
	}
	if info, err := os.Stat(filepath.Join(dir, "payload-codec-keys")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v %v", info, err)
	}
	again, err := devPayloadKeys(dir)
	if err != nil || again != first {
		t.Fatalf("second run: %v; want the same key", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "payload-codec-keys"), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devPayloadKeys(dir); err == nil {
		t.Fatal("a broken key file was accepted")
	}
}
