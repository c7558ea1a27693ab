package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/bankforge/bank/domain"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 64 << 10

// readJSON reads r's body into dst strictly: the content type must be JSON, the body one object
// within the size limit, every key a field of dst spelled exactly (no unknown, duplicate or
// case-variant keys), and nothing after the object.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return newError(domain.CodeUnsupportedMedia, "Send the body with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return newError(domain.CodeBodyTooLarge, fmt.Sprintf("The body must be at most %d bytes.", maxBodyBytes))
		}
		return newError(domain.CodeInvalidJSON, "The body could not be read.")
	}
	return decodeStrict(body, dst)
}

// readOptionalJSON is readJSON for a body that may be left out: a request without one
// (Content-Length: 0) leaves dst as it is.
func readOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return readJSON(w, r, dst)
}

func decodeStrict(body []byte, dst any) error {
	if err := checkKeys(body, allowedKeys(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fieldErrors(FieldError{Field: typeErr.Field, Message: "has the wrong type; expected " + jsonKind(typeErr.Type)})
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			return fieldErrors(*fe)
		}
		return newError(domain.CodeInvalidJSON, "The body is not a valid JSON object for this endpoint.")
	}
	return nil
}

// checkKeys walks the top-level object and rejects anything but exactly-spelled, unique known keys.
func checkKeys(body []byte, allowed map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return newError(domain.CodeInvalidJSON, "The body must be a JSON object.")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return newError(domain.CodeInvalidJSON, "The body is not valid JSON.")
		}
		key := tok.(string)
		switch {
		case !allowed[key]:
			return fieldErrors(FieldError{Field: key, Message: "is not a field of this request"})
		case seen[key]:
			return fieldErrors(FieldError{Field: key, Message: "appears more than once"})
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return newError(domain.CodeInvalidJSON, "The body is not valid JSON.")
		}
	}
	if _, err := dec.Token(); err != nil {
		return newError(domain.CodeInvalidJSON, "The body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return newError(domain.CodeInvalidJSON, "The body has data after the JSON object.")
	}
	return nil
}

func allowedKeys(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	keys := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		return "an array"
	default:
		return "an object"
	}
}

// Error makes FieldError usable as an error from custom unmarshalers.
func (f *FieldError) Error() string { return f.Field + " " + f.Message }
