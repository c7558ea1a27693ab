//go:build !webembed

package webapp

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A directory with an index.html is the app; one without (or none at all) is no app.
func TestFS_DirectoryWithIndexOnly(t *testing.T) {
	dir := t.TempDir()
	if fsys, err := FS(filepath.Join(dir, "missing")); err != nil || fsys != nil {
		t.Fatalf("missing directory: %v, %v; want no app and no error", fsys, err)
	}
	if fsys, err := FS(dir); err != nil || fsys != nil {
		t.Fatalf("empty directory: %v, %v; want no app and no error", fsys, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := FS(dir)
	if err != nil || fsys == nil {
		t.Fatalf("built app: %v, %v", fsys, err)
	}
	if b, err := fs.ReadFile(fsys, "index.html"); err != nil || string(b) != "<!doctype html>" {
		t.Fatalf("index.html: %q, %v", b, err)
	}
}
