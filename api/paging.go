package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Page size bounds of list endpoints.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

func pageSize(v *validator, s string) int32 {
	if s == "" {
		return defaultPageSize
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPageSize {
		v.add("limit", fmt.Sprintf("must be an integer from 1 to %d", maxPageSize))
		return defaultPageSize
	}
	return int32(n)
}

// Cursors are opaque to clients: the position (time and id) of the last item of a page.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, bool) {
	if len(c) > 200 {
		return time.Time{}, "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(b), "|")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", false
	}
	return at, id, true
}

// cursorParam reads the keyset position where the previous page ended.
func cursorParam(v *validator, value string) (*time.Time, *uuid.UUID) {
	if value == "" {
		return nil, nil
	}
	at, id, ok := decodeCursor(value)
	uid, idOK := parseID(id)
	if !ok || !idOK {
		v.add("cursor", "is not a cursor this API returned")
		return nil, nil
	}
	return &at, &uid
}

// page writes one page of rows, asked for with one more than the page size: the extra row only
// tells that a next page exists, whose cursor is the last row shown.
func page[R, T any](w http.ResponseWriter, rows []R, size int32, at func(R) (time.Time, uuid.UUID), render func(R) T) {
	items := make([]T, 0, len(rows))
	var next *string
	for i, row := range rows {
		if i == int(size) {
			t, id := at(rows[i-1])
			next = ptr(encodeCursor(t, id.String()))
			break
		}
		items = append(items, render(row))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}
