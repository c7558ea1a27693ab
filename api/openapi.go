package api

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the API's contract, served at /openapi.yaml and checked against the router in tests.
//
//go:embed openapi.yaml
var OpenAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(OpenAPI)
}
