package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/bankforge/bank/audit"
)

// Error codes the API answers with. One table maps each to its HTTP status and title.
const (
	codeInvalidJSON         = "invalid_json"
	codeValidation          = "validation_failed"
	codeUnsupportedMedia    = "unsupported_media_type"
	codeBodyTooLarge        = "body_too_large"
	codeUnauthorized        = "unauthorized"
	codeInvalidCredentials  = "invalid_credentials"
	codeInvalidRefreshToken = "invalid_refresh_token"
	codeForbidden           = "forbidden"
	codeNotFound            = "not_found"
	codeMethodNotAllowed    = "method_not_allowed"
	codeEmailTaken          = "email_taken"
	codeRateLimited         = "rate_limited"
	codeIdempotencyKey      = "idempotency_key_invalid"
	codeIdempotencyReused   = "idempotency_key_reused"
	codeIdempotencyInFlight = "idempotency_request_in_progress"
	codeAccountNotFound     = "account_not_found"
	codeAccountNotActive    = "account_not_active"
	codeCurrencyMismatch    = "currency_mismatch"
	codeInsufficientFunds   = "insufficient_funds"
	codeLimitExceeded       = "limit_exceeded"
	codeOperationFailed     = "operation_failed"
	codeUnavailable         = "service_unavailable"
	codeInternal            = "internal_error"
)

type problemKind struct {
	status int
	title  string
}

var problemKinds = map[string]problemKind{
	codeInvalidJSON:         {http.StatusBadRequest, "The request body is not valid JSON for this endpoint"},
	codeValidation:          {http.StatusUnprocessableEntity, "The request has invalid fields"},
	codeUnsupportedMedia:    {http.StatusUnsupportedMediaType, "The request body must be application/json"},
	codeBodyTooLarge:        {http.StatusRequestEntityTooLarge, "The request body is too large"},
	codeUnauthorized:        {http.StatusUnauthorized, "Authentication is required"},
	codeInvalidCredentials:  {http.StatusUnauthorized, "Invalid email or password"},
	codeInvalidRefreshToken: {http.StatusUnauthorized, "The refresh token is not valid"},
	codeForbidden:           {http.StatusForbidden, "You are not allowed to do this"},
	codeNotFound:            {http.StatusNotFound, "Not found"},
	codeMethodNotAllowed:    {http.StatusMethodNotAllowed, "Method not allowed"},
	codeEmailTaken:          {http.StatusConflict, "An account with this email already exists"},
	codeRateLimited:         {http.StatusTooManyRequests, "Too many requests"},
	codeIdempotencyKey:      {http.StatusBadRequest, "The Idempotency-Key header is missing or malformed"},
	codeIdempotencyReused:   {http.StatusUnprocessableEntity, "The Idempotency-Key was used for a different request"},
	codeIdempotencyInFlight: {http.StatusConflict, "A request with this Idempotency-Key is still being processed"},
	codeAccountNotFound:     {http.StatusNotFound, "The account does not exist"},
	codeAccountNotActive:    {http.StatusConflict, "The account is not active"},
	codeCurrencyMismatch:    {http.StatusUnprocessableEntity, "The currencies do not match"},
	codeInsufficientFunds:   {http.StatusUnprocessableEntity, "Insufficient available balance"},
	codeLimitExceeded:       {http.StatusUnprocessableEntity, "The amount is above the limit"},
	codeOperationFailed:     {http.StatusUnprocessableEntity, "The operation failed"},
	codeUnavailable:         {http.StatusServiceUnavailable, "The service is temporarily unavailable; retry later"},
	codeInternal:            {http.StatusInternalServerError, "Internal error"},
}

// FieldError names one bad field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem document with the bank's code and field errors.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Code   string       `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
}

// apiError is an error with a problem code; handlers return it and writeError renders it.
type apiError struct {
	code   string
	detail string
	fields []FieldError
	cause  error // logged for internal errors, never sent
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.cause.Error()
	}
	return e.code + ": " + e.detail
}

func (e *apiError) Unwrap() error { return e.cause }

func newError(code, detail string) *apiError { return &apiError{code: code, detail: detail} }

func fieldErrors(fields ...FieldError) *apiError {
	return &apiError{code: codeValidation, detail: "See errors for the fields to fix.", fields: fields}
}

func internalError(cause error) *apiError { return &apiError{code: codeInternal, cause: cause} }

func newProblem(code, detail string, fields []FieldError) Problem {
	kind, ok := problemKinds[code]
	if !ok {
		code, kind = codeInternal, problemKinds[codeInternal]
	}
	return Problem{
		Type:   "https://docs.bank.example/problems/" + code,
		Title:  kind.title,
		Status: kind.status,
		Detail: detail,
		Code:   code,
		Errors: fields,
	}
}

// writeError renders err as a problem. Errors without a code are internal: they are logged once with
// the request id, recorded in the audit log, and answered with a generic 500 that reveals nothing.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = internalError(err)
	}
	if ae.code == codeInternal || ae.code == codeUnavailable {
		s.logger.ErrorContext(r.Context(), "request failed", "code", ae.code, "error", err,
			"method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()))
		s.recordAudit(r.Context(), audit.Event{
			ID: uuid.NewString(), Type: audit.EventInternalError, IP: clientIP(r),
			Details: map[string]string{"code": ae.code, "method": r.Method, "path": r.URL.Path, "request_id": requestID(r.Context())},
		})
	}
	writeProblem(w, newProblem(ae.code, ae.detail, ae.fields))
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
