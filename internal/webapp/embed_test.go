//go:build webembed

package webapp

import (
	"io/fs"
	"testing"
)

// The embedded build is the app: index.html is there, whatever dir says.
func TestFS_Embedded(t *testing.T) {
	fsys, err := FS("no-such-directory")
	if err != nil || fsys == nil {
		t.Fatalf("embedded app: %v, %v; run `make web` before building with -tags webembed", fsys, err)
	}
	if _, err := fs.Stat(fsys, "index.html"); err != nil {
		t.Fatal(err)
	}
}
