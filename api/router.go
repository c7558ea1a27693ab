package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bankforge/bank/domain"
)

// handlerFunc is a handler that returns its error for writeError to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle runs fn once the request's query names only parameters its route documents, and renders
// the error it returns.
func (s *server) handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + chi.RouteContext(r.Context()).RoutePattern()
		if unknown := s.query.unknown(route, r.URL.Query()); len(unknown) > 0 {
			fields := make([]FieldError, 0, len(unknown))
			for _, name := range unknown {
				fields = append(fields, FieldError{Field: name, Message: "is not a query parameter of this route"})
			}
			s.writeError(w, r, &apiError{code: domain.CodeUnknownParameter, detail: "Remove the parameters named in errors; see the API's documentation for the ones this route takes.", fields: fields})
			return
		}
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// nameSpanByRoute names the request's span (when it is traced) after the route that served it,
// "GET /v1/transfers/{id}", never after its path, which carries ids; a request no route matched
// keeps the method alone.
func nameSpanByRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		if pattern := chi.RouteContext(r.Context()).RoutePattern(); pattern != "" && pattern != "/*" {
			span.SetName(r.Method + " " + pattern)
			span.SetAttributes(semconv.HTTPRoute(pattern))
		}
	})
}

// routes is the API's whole surface. Every route is in exactly one access group; a route outside
// the public group needs a valid access token, and the admin groups a role besides.
func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	// Every route counts toward its client's limit; the auth routes have a tighter one besides, and
	// signed-in users' writes are counted per user wherever they come from.
	r.Use(nameSpanByRoute, withNoSniff, s.withCodecCORS, withClientAddr(s.cfg.TrustedProxies), withRequestID, s.countRequests, logRequests(s.logger), s.rateLimit(s.clientLimit))
	// The web app is no route of the API: every GET or HEAD of a path outside the API that no
	// route matched is the app's (its files, or index.html for its own client-side routes).
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !isAPIPath(r.URL.Path) {
			s.serveApp(w, r)
			return
		}
		s.writeError(w, r, newError(domain.CodeNotFound, "No such route."))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, newError(domain.CodeMethodNotAllowed, "This route does not take "+r.Method+"."))
	})

	// Public.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/openapi.yaml", serveOpenAPI)
	r.Get("/v1/operations/{id}", s.handle(s.getOperation))
	// The live event socket authenticates itself (a token in the handshake's headers or its first
	// message, never in the URL); each handshake counts once toward its client's limit.
	r.With(s.refuseTokenInQuery).Get("/v1/ws", s.handle(s.openSocket))
	r.Group(func(r chi.Router) {
		r.Use(s.rateLimit(s.authLimit))
		r.Post("/v1/auth/register", s.handle(s.register))
		r.Post("/v1/auth/login", s.handle(s.login))
		r.Post("/v1/auth/refresh", s.handle(s.refresh))
		r.Post("/v1/auth/logout", s.handle(s.logout))
		r.Post("/v1/auth/password-setup", s.handle(s.setPassword))
	})

	// Any authenticated user, on their own data.
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.limitWrites(s.writeLimit))
		r.Post("/v1/auth/logout-all", s.handle(s.logoutAll))
		r.Get("/v1/me", s.handle(s.getMe))
		r.Patch("/v1/me", s.handle(s.updateMe))
		r.Post("/v1/me/password", s.handle(s.changePassword))
		r.Get("/v1/me/notifications", s.handle(s.listNotifications))
		r.Post("/v1/me/notifications/read-all", s.handle(s.readAllNotifications))
		r.Post("/v1/me/notifications/{id}/read", s.handle(s.readNotification))
		r.Get("/v1/me/notification-settings", s.handle(s.getNotificationSettings))
		r.Patch("/v1/me/notification-settings", s.handle(s.updateNotificationSettings))

		r.Get("/v1/accounts", s.handle(s.listAccounts))
		r.Post("/v1/accounts", s.handle(s.openAccount))
		r.Get("/v1/accounts/{id}", s.handle(s.getAccount))
		r.Get("/v1/accounts/{id}/transactions", s.handle(s.listTransactions))
		r.Get("/v1/accounts/{id}/statement", s.handle(s.getStatement))
		r.Get("/v1/transfers", s.handle(s.listTransfers))
		r.Post("/v1/transfers", s.handle(s.createTransfer))
		r.Get("/v1/transfers/{id}", s.handle(s.getTransfer))
	})

	// Staff.
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.limitWrites(s.writeLimit), s.allow(domain.RoleAdmin, domain.RoleSupport))
		r.Get("/v1/admin/audit-events", s.handle(s.listAuditEvents))
		r.Get("/v1/admin/audit-events/verify", s.handle(s.verifyAuditLog))
		r.Get("/v1/admin/reports/transactions", s.handle(s.reportTransactions))
		r.Get("/v1/admin/reports/accounts", s.handle(s.reportAccounts))
		r.Get("/v1/admin/users", s.handle(s.staffListUsers))
		r.Get("/v1/admin/users/{id}", s.handle(s.staffGetUser))
		r.Get("/v1/admin/accounts", s.handle(s.staffListAccounts))
		r.Get("/v1/admin/accounts/{id}", s.handle(s.staffGetAccount))
		r.Get("/v1/admin/accounts/{id}/statement", s.handle(s.staffGetStatement))
		r.Get("/v1/admin/transfers", s.handle(s.staffListTransfers))
		r.Get("/v1/admin/transfers/{id}", s.handle(s.staffGetTransfer))
		r.Post("/v1/admin/users/{id}/unlock", s.handle(s.unlockLogin))
		r.Post("/v1/admin/users/{id}/welcome-email", s.handle(s.resendWelcome))
		r.Get("/v1/admin/accounts/{id}/freezes", s.handle(s.listAccountFreezes))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.limitWrites(s.writeLimit), s.allow(domain.RoleAdmin))
		r.Post("/v1/admin/accounts/{id}/deposits", s.handle(s.deposit))
		r.Post("/v1/admin/accounts/{id}/withdrawals", s.handle(s.withdraw))
		r.Get("/v1/admin/ledger-check", s.handle(s.ledgerCheck))
		r.Post("/v1/admin/users", s.handle(s.createStaff))
		r.Post("/v1/admin/users/{id}/role", s.handle(s.changeRole))
		r.Post("/v1/admin/users/{id}/disable", s.handle(s.disableUser))
		r.Post("/v1/admin/users/{id}/enable", s.handle(s.enableUser))
		r.Get("/v1/admin/cash-approvals", s.handle(s.listCashApprovals))
		r.Post("/v1/admin/cash-approvals/{id}/approve", s.handle(s.approveCashApproval))
		r.Post("/v1/admin/cash-approvals/{id}/reject", s.handle(s.rejectCashApproval))
		r.Post("/v1/admin/accounts/{id}/freeze", s.handle(s.freezeAccount))
		r.Post("/v1/admin/accounts/{id}/unfreeze", s.handle(s.unfreezeAccount))
	})

	// The payload codec of the Temporal web UI and CLI (handlers_codec.go): a browser's preflight
	// for anyone, decoding for staff, encoding for admins, by a bearer token or, from the UI's
	// origins, the staff browser session's codec cookie. Not counted as writes: the UI decodes
	// each event it shows.
	r.Options("/codec/decode", s.handle(s.codecPreflight))
	r.Options("/codec/encode", s.handle(s.codecPreflight))
	r.With(s.authenticateCodec, s.allow(domain.RoleAdmin, domain.RoleSupport)).Post("/codec/decode", s.handle(s.decodePayloads))
	r.With(s.authenticateCodec, s.allow(domain.RoleAdmin)).Post("/codec/encode", s.handle(s.encodePayloads))
	return r
}

// routePattern names the route r matched by its pattern ("/v1/accounts/{id}"), never by its path,
// so that what counts requests by route has a fixed set of values: "(web app)" for a GET or HEAD
// outside the API, "(no route)" for the rest. It is read once the request has been routed; one
// refused before (by the client's rate limit) is looked up.
func routePattern(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return "(no route)"
	}
	pattern := rctx.RoutePattern()
	if pattern == "" && rctx.Routes != nil {
		pattern = rctx.Routes.Find(chi.NewRouteContext(), r.Method, r.URL.Path)
	}
	switch {
	case pattern != "" && pattern != "/*":
		return pattern
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && !isAPIPath(r.URL.Path):
		return "(web app)"
	}
	return "(no route)"
}

// Routes lists the API's routes as "METHOD /pattern", for checking them against the OpenAPI document.
func Routes(h http.Handler) ([]string, error) {
	var out []string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	})
	return out, err
}
