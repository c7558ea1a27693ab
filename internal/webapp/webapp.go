// Package webapp holds the bank's web app: the files of its production build (Vite's output, an
// index.html and hashed files under assets/), which the API serves at /.
//
// Built with the tag webembed (`make build`, the Dockerfile), the files are embedded from
// internal/webapp/dist, where `make web` copies them. Without the tag they are read from a
// directory at run time (WEB_DIR), so that vet and tests need no build of the app.
package webapp

import (
	"errors"
	"fmt"
	"io/fs"
)

// built returns fsys when it holds a built app (an index.html), or nil when it holds none.
func built(fsys fs.FS) (fs.FS, error) {
	fi, err := fs.Stat(fsys, "index.html")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("web app: %w", err)
	case !fi.Mode().IsRegular():
		return nil, nil
	}
	return fsys, nil
}
