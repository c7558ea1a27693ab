package api

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/bankforge/bank/db"
	"github.com/bankforge/bank/domain"
)

// accessTokenType marks access tokens; nothing else the API issues carries it.
const accessTokenType = "access"

// maxTokenBytes bounds the bearer tokens the API will even try to parse.
const maxTokenBytes = 4096

type accessClaims struct {
	jwt.RegisteredClaims
	Role      domain.Role `json:"role"`
	TokenType string      `json:"token_type"`
	SessionID string      `json:"sid"`
}

// principal is the authenticated caller, as the database knows them at this request.
type principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	Role      domain.Role
	Email     string
	// Expires is when the access token that authenticated the caller expires.
	Expires time.Time
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// caller returns the authenticated caller; only routes behind authenticate are called without one.
func caller(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

func (s *server) issueAccessToken(userID, sessionID uuid.UUID, role domain.Role, now time.Time) (string, error) {
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   userID.String(),
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		Role:      role,
		TokenType: accessTokenType,
		SessionID: sessionID.String(),
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.cfg.JWTSecret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return tok, nil
}

// parseAccessToken verifies signature, algorithm, expiry, issuer, audience and token type.
func (s *server) parseAccessToken(tok string) (accessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(tok, &claims,
		func(*jwt.Token) (any, error) { return s.cfg.JWTSecret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		// One spelling per token: base64 with unused bits set would be a second one.
		jwt.WithStrictDecoding(),
		jwt.WithExpirationRequired(),
		jwt.WithNotBeforeRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.cfg.Audience),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return accessClaims{}, err
	}
	if claims.TokenType != accessTokenType {
		return accessClaims{}, errors.New("not an access token")
	}
	return claims, nil
}

// principalOf authenticates r: a valid access token of a live session of an active user. The
// session and the role are read from the database, or from the sessions this process keeps while it
// hears every change that may end one (sessionCache), so logout, password change, role change and
// disabling take effect at once.
func (s *server) principalOf(r *http.Request) (principal, error) {
	unauthorized := func(detail string) (principal, error) {
		return principal{}, newError(domain.CodeUnauthorized, detail)
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return unauthorized("Send an access token in the Authorization header: Bearer <token>.")
	}
	return s.tokenPrincipal(r.Context(), tok)
}

// codecPrincipalOf authenticates a request to the payload codec: by its Authorization header, as
// every route, or, when it has none, by the bank_codec cookie of a staff member's browser session,
// which counts only on a request from one of the Temporal UI's origins (CODEC_CORS_ORIGINS).
func (s *server) codecPrincipalOf(r *http.Request) (principal, error) {
	if r.Header.Get("Authorization") != "" {
		return s.principalOf(r)
	}
	c, err := r.Cookie(codecCookie)
	if err != nil || c.Value == "" {
		return principal{}, newError(domain.CodeUnauthorized,
			"Send an access token in the Authorization header: Bearer <token>; or sign in to the bank's web app as staff, in this browser.")
	}
	if !s.codecOrigin(r.Header.Get("Origin")) {
		return principal{}, newError(domain.CodeUnauthorized,
			"The bank_codec cookie counts only from the Temporal UI's origins (CODEC_CORS_ORIGINS); send an access token in the Authorization header instead.")
	}
	return s.tokenPrincipal(r.Context(), c.Value)
}

// tokenPrincipal authenticates an access token: valid, of a live session of an active user.
func (s *server) tokenPrincipal(ctx context.Context, tok string) (principal, error) {
	unauthorized := func(detail string) (principal, error) {
		return principal{}, newError(domain.CodeUnauthorized, detail)
	}
	if len(tok) > maxTokenBytes {
		return unauthorized("The access token is not valid.")
	}
	claims, err := s.parseAccessToken(tok)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized("The access token has expired; refresh it or log in again.")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized("The access token is malformed: send the access_token a login or refresh returned.")
	case err != nil:
		return unauthorized("The access token is not valid.")
	}
	userID, err1 := uuid.Parse(claims.Subject)
	sessionID, err2 := uuid.Parse(claims.SessionID)
	if err1 != nil || err2 != nil {
		return unauthorized("The access token is not valid.")
	}
	row, ok := s.sessions.get(sessionID, userID)
	if !ok {
		gen := s.sessions.generation()
		row, err = s.store.GetSessionPrincipal(ctx, db.GetSessionPrincipalParams{SessionID: sessionID, UserID: userID, Active: domain.UserActive})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return unauthorized("The session has ended; log in again.")
		} else if err != nil {
			return principal{}, internalError(fmt.Errorf("load session: %w", err))
		}
		s.sessions.put(gen, row)
	}
	return principal{UserID: row.UserID, SessionID: row.SessionID, Role: row.Role, Email: row.Email, Expires: claims.ExpiresAt.Time}, nil
}

// authenticate admits only authenticated requests and gives handlers their caller.
func (s *server) authenticate(next http.Handler) http.Handler {
	return s.authenticateBy(s.principalOf, next)
}

// authenticateCodec is authenticate for the payload codec's routes, which also take the bank_codec
// cookie (codecPrincipalOf).
func (s *server) authenticateCodec(next http.Handler) http.Handler {
	return s.authenticateBy(s.codecPrincipalOf, next)
}

func (s *server) authenticateBy(principalOf func(*http.Request) (principal, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := principalOf(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bank"`)
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), p)))
	})
}

// allow admits only callers whose role is listed; everyone else gets 403.
func (s *server) allow(roles ...domain.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !slices.Contains(roles, caller(r.Context()).Role) {
				s.writeError(w, r, newError(domain.CodeForbidden, "Your role does not allow this."))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// newOpaqueToken returns a random token (a refresh token, a one-time password token) and the hash
// under which it is stored.
func newOpaqueToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read random: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Browser sessions keep their refresh token in an HttpOnly cookie that script cannot read, scoped
// to the auth routes, and send the session's CSRF token in a header with each refresh and logout.
// A staff member's browser session also keeps its latest access token in an HttpOnly cookie scoped
// to the payload codec: the Temporal web UI, which cannot send the bank's bearer token, sends
// cookies to the codec (its "Include cross-origin credentials" setting).
const (
	refreshCookie     = "bank_refresh"
	refreshCookiePath = "/v1/auth"
	csrfCookie        = "bank_csrf"
	csrfHeader        = "X-CSRF-Token"
	codecCookie       = "bank_codec"
	codecCookiePath   = "/codec"
)

// csrfKeyLabel separates the CSRF key from every other key derived from the JWT secret.
const csrfKeyLabel = "bank csrf token v1"

func deriveCSRFKey(secret []byte) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, csrfKeyLabel, 32)
	if err != nil {
		return nil, fmt.Errorf("derive csrf key: %w", err)
	}
	return key, nil
}

// csrfToken is the CSRF token of a session: a MAC of its id, so it needs no storage and no
// other session's token matches.
func (s *server) csrfToken(sessionID uuid.UUID) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte("csrf:" + sessionID.String()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

var errCSRF = newError(domain.CodeCSRFFailed, "Send the session's CSRF token (the bank_csrf cookie) in the X-CSRF-Token header, from the bank's own pages.")

// checkOrigin refuses a request whose Origin header names another host than the one it was sent
// to. A request without Origin (not from a browser's script) passes: the CSRF token still guards it.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(withoutDefaultPort(u.Host, u.Scheme), withoutDefaultPort(r.Host, u.Scheme)) {
		return errCSRF
	}
	return nil
}

func withoutDefaultPort(host, scheme string) string {
	if (scheme == "https" && strings.HasSuffix(host, ":443")) || (scheme == "http" && strings.HasSuffix(host, ":80")) {
		return host[:strings.LastIndexByte(host, ':')]
	}
	return host
}

// checkCSRF refuses a cookie-authenticated request that does not carry the CSRF token of session.
func (s *server) checkCSRF(r *http.Request, session uuid.UUID) error {
	got := r.Header.Get(csrfHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrfToken(session))) != 1 {
		return errCSRF
	}
	return nil
}

// setSessionCookies gives the browser its session: the refresh token where script cannot read it,
// and the CSRF token where the app can (after a reload, too).
func (s *server) setSessionCookies(w http.ResponseWriter, r *http.Request, refresh, csrf string) {
	maxAge := int(s.cfg.RefreshTTL / time.Second)
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Value: refresh, Path: refreshCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: maxAge,
		Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
}

// setCodecCookie gives a staff member's browser the access token just issued, for the payload codec
// only, for as long as the token lasts. The Temporal UI's origin is the same site as the API's
// (a site ignores ports), so SameSite=Strict lets the UI's requests carry it.
func (s *server) setCodecCookie(w http.ResponseWriter, r *http.Request, access string) {
	http.SetCookie(w, &http.Cookie{Name: codecCookie, Value: access, Path: codecCookiePath, MaxAge: int(s.cfg.AccessTTL / time.Second),
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
}

// clearSessionCookies removes the session's cookies (Max-Age=0, with the attributes they were set
// with): the codec's too, whether or not the session had it (a cookie scoped to /codec never comes
// back to the auth routes to tell).
func clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Path: refreshCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1,
		Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: codecCookie, Path: codecCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
}

// secureCookies reports whether cookies must be Secure: everywhere but on the machine itself
// (localhost or a loopback address), where development runs on plain HTTP.
func secureCookies(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err != nil || !a.IsLoopback()
}
