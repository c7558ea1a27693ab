//go:build webembed

package webapp

import (
	"embed"
	"fmt"
	"io/fs"
)

// dist is the app's production build, copied here by `make web`; this build needs it.
//
//go:embed all:dist
var dist embed.FS

// Embedded reports whether the app's files are built into the binary.
const Embedded = true

// FS returns the app's embedded files; dir is not read.
func FS(dir string) (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("web app: %w", err)
	}
	return built(sub)
}
