//go:build !webembed

package webapp

import (
	"io/fs"
	"os"
)

// Embedded reports whether the app's files are built into the binary.
const Embedded = false

// FS returns the app's files in dir (relative to the working directory unless absolute), or nil
// when dir holds no built app: the API then answers that the app is not built.
func FS(dir string) (fs.FS, error) {
	return built(os.DirFS(dir))
}
