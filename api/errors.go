package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.temporal.io/api/serviceerror"

	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

type problemKind struct {
	status int
	title  string
}

// problemKinds is the one table from a code (domain/codes.go) to the HTTP status and title a
// client reads. A test checks that every code has its row and that api/openapi.yaml lists them.
var problemKinds = map[domain.Code]problemKind{
	domain.CodeEmailTaken:          {http.StatusConflict, "An account with this email already exists"},
	domain.CodeAccountNotFound:     {http.StatusNotFound, "The account does not exist"},
	domain.CodeAccountNotActive:    {http.StatusConflict, "The account is not active"},
	domain.CodeCurrencyMismatch:    {http.StatusUnprocessableEntity, "The currencies do not match"},
	domain.CodeNotOwner:            {http.StatusUnprocessableEntity, "The source account is not yours"},
	domain.CodeInsufficientFunds:   {http.StatusUnprocessableEntity, "Insufficient available balance"},
	domain.CodeLimitExceeded:       {http.StatusUnprocessableEntity, "The amount is above the limit"},
	domain.CodeHoldExpired:         {http.StatusUnprocessableEntity, "The reserved funds expired"},
	domain.CodeAccountLimit:        {http.StatusUnprocessableEntity, "Too many open accounts"},
	domain.CodeBalanceLimit:        {http.StatusUnprocessableEntity, "The balance would exceed its limit"},
	domain.CodeLastAdmin:           {http.StatusConflict, "The last active admin cannot be removed"},
	domain.CodeCanceled:            {http.StatusConflict, "The operation was canceled"},
	domain.CodeInvalidJSON:         {http.StatusBadRequest, "The request body is not valid JSON for this endpoint"},
	domain.CodeValidation:          {http.StatusUnprocessableEntity, "The request has invalid fields"},
	domain.CodeUnsupportedMedia:    {http.StatusUnsupportedMediaType, "The request body must be application/json"},
	domain.CodeBodyTooLarge:        {http.StatusRequestEntityTooLarge, "The request body is too large"},
	domain.CodeUnauthorized:        {http.StatusUnauthorized, "Authentication is required"},
	domain.CodeInvalidCredentials:  {http.StatusUnauthorized, "Invalid email or password"},
	domain.CodeInvalidRefreshToken: {http.StatusUnauthorized, "The refresh token is not valid"},
	domain.CodeForbidden:           {http.StatusForbidden, "You are not allowed to do this"},
	domain.CodeNotFound:            {http.StatusNotFound, "Not found"},
	domain.CodeMethodNotAllowed:    {http.StatusMethodNotAllowed, "Method not allowed"},
	domain.CodeRateLimited:         {http.StatusTooManyRequests, "Too many requests"},
	domain.CodeIdempotencyKey:      {http.StatusBadRequest, "The Idempotency-Key header is missing or malformed"},
	domain.CodeIdempotencyReused:   {http.StatusUnprocessableEntity, "The Idempotency-Key was used for a different request"},
	domain.CodeIdempotencyInFlight: {http.StatusConflict, "A request with this Idempotency-Key is still being processed"},
	domain.CodeUnknownParameter:    {http.StatusBadRequest, "The query names a parameter this route does not take"},
	domain.CodeUnavailable:         {http.StatusServiceUnavailable, "The service is temporarily unavailable; retry later"},
	domain.CodeInternal:            {http.StatusInternalServerError, "Internal error"},

	domain.CodeDailyLimitExceeded:     {http.StatusUnprocessableEntity, "The daily cash limit would be exceeded"},
	domain.CodeApprovalRejected:       {http.StatusUnprocessableEntity, "The cash movement was rejected"},
	domain.CodeApprovalExpired:        {http.StatusUnprocessableEntity, "The cash movement was not approved in time"},
	domain.CodeApprovalDecided:        {http.StatusConflict, "The cash approval was already decided"},
	domain.CodeApproverNotIndependent: {http.StatusForbidden, "Another admin must decide this cash approval"},

	domain.CodeAccountFrozen: {http.StatusConflict, "The account is frozen"},
	domain.CodeEmailRequired: {http.StatusUnprocessableEntity, "This notification's email cannot be turned off"},
	domain.CodeAlreadyFrozen: {http.StatusConflict, "The account is already frozen"},
	domain.CodeNotFrozen:     {http.StatusConflict, "The account is not frozen"},

	domain.CodeUpgradeRequired: {http.StatusUpgradeRequired, "This route takes a WebSocket handshake"},
	domain.CodeCSRFFailed:      {http.StatusForbidden, "The request failed its CSRF check"},

	domain.CodePayloadUndecodable: {http.StatusUnprocessableEntity, "A payload could not be decrypted"},
}

// dependencyDown recognises the errors of a server the API depends on that is down, restarting or
// out of reach: PostgreSQL, Temporal, MongoDB. A request that fails on one is answered 503 with
// Retry-After, never 500: the same request may succeed once the server is back.
var dependencyDown = []func(error) bool{
	db.IsUnavailable,
	func(err error) bool {
		var unavailable *serviceerror.Unavailable
		var deadline *serviceerror.DeadlineExceeded
		return errors.As(err, &unavailable) || errors.As(err, &deadline)
	},
	func(err error) bool { return mongo.IsNetworkError(err) || mongo.IsTimeout(err) },
}

// unavailableRetryAfter is the Retry-After of a 503: about how long a restarting server takes.
const unavailableRetryAfter = 2 * time.Second

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
	Code   domain.Code  `json:"code"`
	Errors []FieldError `json:"errors,omitempty"`
}

// apiError is an error with a problem code; handlers return it and writeError renders it.
type apiError struct {
	code   domain.Code
	detail string
	fields []FieldError
	cause  error // logged for internal errors, never sent
	// retryAfter, when set, is sent as Retry-After (whole seconds, at least one).
	retryAfter time.Duration
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return string(e.code) + ": " + e.cause.Error()
	}
	return string(e.code) + ": " + e.detail
}

func (e *apiError) Unwrap() error { return e.cause }

func newError(code domain.Code, detail string) *apiError {
	return &apiError{code: code, detail: detail}
}

func fieldErrors(fields ...FieldError) *apiError {
	return &apiError{code: domain.CodeValidation, detail: "See errors for the fields to fix.", fields: fields}
}

func internalError(cause error) *apiError { return &apiError{code: domain.CodeInternal, cause: cause} }

func newProblem(code domain.Code, detail string, fields []FieldError) Problem {
	kind, ok := problemKinds[code]
	if !ok {
		code, kind = domain.CodeInternal, problemKinds[domain.CodeInternal]
	}
	return Problem{
		Type:   "https://docs.bank.example/problems/" + string(code),
		Title:  kind.title,
		Status: kind.status,
		Detail: detail,
		Code:   code,
		Errors: fields,
	}
}

// writeError renders err as a problem. Errors without a code are internal: they are logged once with
// the request id, recorded in the audit log, and answered with a generic 500 that reveals nothing;
// one caused by a dependency that is down is a 503 with Retry-After instead.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = internalError(err)
	}
	if ae.code == domain.CodeInternal && slices.ContainsFunc(dependencyDown, func(down func(error) bool) bool { return down(err) }) {
		ae = &apiError{code: domain.CodeUnavailable, detail: "A service the bank relies on is unavailable right now; retry later.", cause: err}
	}
	if ae.code == domain.CodeUnavailable && ae.retryAfter == 0 {
		ae.retryAfter = unavailableRetryAfter
	}
	if ae.code == domain.CodeInternal || ae.code == domain.CodeUnavailable {
		s.logger.ErrorContext(r.Context(), "request failed", "code", ae.code, "error", err,
			"method", r.Method, "path", r.URL.Path)
		s.recordAudit(r.Context(), audit.Event{
			ID: uuid.NewString(), Type: audit.EventInternalError, IP: clientIP(r),
			Details: map[string]any{"code": string(ae.code), "method": r.Method, "path": r.URL.Path, "request_id": requestID(r.Context())},
		})
	}
	if ae.retryAfter > 0 {
		secs := int((ae.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
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
