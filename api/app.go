package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bankforge/bank/domain"
)

// appCSP is the web app's Content-Security-Policy: everything from the bank's own origin, no
// inline script or style, no plugins, no framing. connect-src 'self' covers the live event
// socket, which is same-origin.
const appCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Cache policies of the app's files: the hashed files under assets/ never change under their
// name; index.html and the other unhashed files are checked again at every use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// maxCachedAppFile bounds the files kept in memory (with their gzip): a larger one is streamed.
const maxCachedAppFile = 8 << 20

// isAPIPath reports whether path belongs to the API rather than the web app.
func isAPIPath(p string) bool {
	switch p {
	case "/v1", "/healthz", "/readyz", "/openapi.yaml":
		return true
	}
	return strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, codecPathPrefix)
}

// webApp serves the bank's web app: its files by name, and index.html for every other path, so
// that a client-side route (/accounts/abc) loads the app, which then shows it. A missing file
// under assets/ is a 404, never index.html: a stale page must not run HTML as a script.
type webApp struct {
	fsys fs.FS

	mu    sync.Mutex
	files map[string]*appFile
}

// appFile is a file as the app serves it, kept while its size and time stay the same.
type appFile struct {
	size    int64
	modTime time.Time
	ctype   string
	etag    string
	body    []byte
	gz      []byte // nil when the type does not compress or gzip saves too little
}

func newWebApp(fsys fs.FS) *webApp {
	return &webApp{fsys: fsys, files: map[string]*appFile{}}
}

// serve answers a GET or HEAD of a path outside the API. It returns an error for writeError when
// it has no file to send.
func (a *webApp) serve(w http.ResponseWriter, r *http.Request) error {
	setAppHeaders(w.Header())
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	asset := name == "assets" || strings.HasPrefix(name, "assets/")
	if !asset && (name == "index.html" || !a.isFile(name)) {
		if !a.isFile("index.html") {
			return errAppNotBuilt
		}
		return a.send(w, r, "index.html", cacheRevalidate)
	}
	if asset && !a.isFile(name) {
		return newError(domain.CodeNotFound, "No such file.")
	}
	cache := cacheRevalidate
	if asset {
		cache = cacheImmutable
	}
	return a.send(w, r, name, cache)
}

var errAppNotBuilt = newError(domain.CodeNotFound, "The web app is not built: run `make web`.")

// setAppHeaders sets the security headers of every answer of the app.
func setAppHeaders(h http.Header) {
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// isFile reports whether name is a regular file of the app whose path has no hidden part.
func (a *webApp) isFile(name string) bool {
	if strings.HasPrefix(name, ".") || strings.Contains(name, "/.") || !fs.ValidPath(name) {
		return false
	}
	fi, err := fs.Stat(a.fsys, name)
	return err == nil && fi.Mode().IsRegular()
}

// send writes the file name with its type, validators and cache policy, gzipped when the client
// takes gzip and it is worth it. Conditional and range requests are http.ServeContent's.
func (a *webApp) send(w http.ResponseWriter, r *http.Request, name, cache string) error {
	f, err := a.fsys.Open(name)
	if err != nil {
		return a.openError(name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return internalError(fmt.Errorf("stat %s: %w", name, err))
	}
	h := w.Header()
	h.Set("Cache-Control", cache)
	if rs, ok := f.(io.ReadSeeker); ok && fi.Size() > maxCachedAppFile {
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			h.Set("Content-Type", ct)
		}
		http.ServeContent(w, r, name, fi.ModTime(), rs)
		return nil
	}
	file, err := a.load(name, f, fi)
	if err != nil {
		return err
	}
	h.Set("Content-Type", file.ctype)
	body, etag := file.body, file.etag
	if file.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = file.gz, strings.TrimSuffix(file.etag, `"`)+`-gzip"`
			h.Set("Content-Encoding", "gzip")
			// ServeContent leaves the length out when an encoding is set; a range sets its own.
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, name, fi.ModTime(), bytes.NewReader(body))
	return nil
}

func (a *webApp) openError(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		// Removed since it was looked up (a rebuild of the app under WEB_DIR).
		if name == "index.html" {
			return errAppNotBuilt
		}
		return newError(domain.CodeNotFound, "No such file.")
	}
	return internalError(fmt.Errorf("open %s: %w", name, err))
}

// load returns the file, read and compressed once for as long as its size and time stay the same.
func (a *webApp) load(name string, f fs.File, fi fs.FileInfo) (*appFile, error) {
	a.mu.Lock()
	cached, ok := a.files[name]
	a.mu.Unlock()
	if ok && cached.size == fi.Size() && cached.modTime.Equal(fi.ModTime()) {
		return cached, nil
	}
	body, err := io.ReadAll(io.LimitReader(f, maxCachedAppFile+1))
	if err != nil {
		return nil, internalError(fmt.Errorf("read %s: %w", name, err))
	}
	sum := sha256.Sum256(body)
	file := &appFile{
		size: fi.Size(), modTime: fi.ModTime(), body: body,
		ctype: mime.TypeByExtension(path.Ext(name)),
		etag:  `"` + hex.EncodeToString(sum[:12]) + `"`,
	}
	if file.ctype == "" {
		file.ctype = http.DetectContentType(body)
	}
	if compressible(file.ctype) && len(body) >= 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		if err := zw.Close(); err == nil && buf.Len() < len(body)*9/10 {
			file.gz = buf.Bytes()
		}
	}
	if int64(len(body)) == fi.Size() {
		a.mu.Lock()
		a.files[name] = file
		a.mu.Unlock()
	}
	return file, nil
}

// compressible reports whether a file of type ctype is text that gzip shrinks.
func compressible(ctype string) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/javascript", "application/json", "application/xml", "application/wasm", "image/svg+xml":
		return true
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding lists gzip with a quality above zero.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			name, value, ok := strings.Cut(params, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") {
				return true
			}
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			return err == nil && q > 0
		}
	}
	return false
}

// serveApp answers a GET or HEAD outside the API with the web app.
func (s *server) serveApp(w http.ResponseWriter, r *http.Request) {
	if s.app == nil {
		s.writeError(w, r, errAppNotBuilt)
		return
	}
	if err := s.app.serve(w, r); err != nil {
		s.writeError(w, r, err)
	}
}
