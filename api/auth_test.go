package api_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/bankforge/bank/api"
	"github.com/bankforge/bank/audit"
	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/password"
	"github.com/bankforge/bank/workflows"
)

func TestRegister_AcceptsAndStartsWorkflow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("POST", "/v1/auth/register", "", `{"email":"  Ana.Lopez@Example.COM ","password":"blue-Giraffe-runs-42","full_name":"Ana López","phone":"+573001234567","currency":"COP"}`)
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var op struct {
		ID, Kind, Status string
		CreatedAt        string `json:"created_at"`
	}
	r.json(t, &op)
	if r.header.Get("Location") != "/v1/operations/"+op.ID || op.Kind != "registration" || op.Status != "running" {
		t.Fatalf("unexpected answer %s (Location %s)", r.body, r.header.Get("Location"))
	}
	if h.workflows.starts() != 1 {
		t.Fatalf("%d workflows started", h.workflows.starts())
	}
	reg, err := h.store.GetRegistration(t.Context(), op.ID)
	if err != nil || reg.Email != "ana.lopez@example.com" || reg.Currency != "COP" {
		t.Fatalf("registration %+v, %v", reg, err)
	}
	if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "Giraffe") {
		t.Fatal("the answer carries the password or its hash")
	}
	// The workflow's input names the registration, never the password or its hash.
	in := h.workflows.args[0]
	if s := strings.ToLower(strings.ReplaceAll(jsonString(t, in), " ", "")); strings.Contains(s, "giraffe") || strings.Contains(s, "argon2") {
		t.Fatalf("workflow input carries a secret: %s", s)
	}
	// Polling: the operation is visible to anyone holding its id.
	p := h.do("GET", "/v1/operations/"+op.ID+"?wait=10ms", "", "")
	if p.status != http.StatusOK {
		t.Fatalf("poll: %d %s", p.status, p.body)
	}
	var polled struct {
		CreatedAt string `json:"created_at"`
	}
	p.json(t, &polled)
	if op.CreatedAt == "" || polled.CreatedAt != op.CreatedAt {
		t.Fatalf("created_at %s in the 202, %s when polled; want one value", op.CreatedAt, polled.CreatedAt)
	}
	if p := h.do("GET", "/v1/operations/"+uuid.NewString(), "", ""); p.status != http.StatusNotFound {
		t.Fatalf("unknown operation: %d", p.status)
	}
}

// A taken email gets the answer a new one gets, after the same work: the registration is kept with
// its password hashed and its workflow started, which finds the email taken and tells its owner.
func TestRegister_TakenEmailAnswersLikeANewOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	usersBefore := h.counts()["users"]
	register := func(email string) (response, map[string]any) {
		t.Helper()
		r := h.do("POST", "/v1/auth/register", "", `{"email":"`+email+`","password":"blue-Giraffe-runs-42","full_name":"Other"}`)
		if r.status != http.StatusAccepted {
			t.Fatalf("register %s: %d %s", email, r.status, r.body)
		}
		var op map[string]any
		r.json(t, &op)
		return r, op
	}
	newR, newOp := register("new-" + uuid.NewString()[:8] + "@example.com")
	takenR, takenOp := register(strings.ToUpper(u.Email))
	if !slices.Equal(slices.Sorted(maps.Keys(newOp)), slices.Sorted(maps.Keys(takenOp))) {
		t.Fatalf("answers differ in shape:\n%s\n%s", newR.body, takenR.body)
	}
	for _, pair := range []struct {
		r  response
		op map[string]any
	}{{newR, newOp}, {takenR, takenOp}} {
		id, _ := pair.op["id"].(string)
		if pair.op["kind"] != "registration" || pair.op["status"] != "running" || pair.op["result"] != nil ||
			pair.r.header.Get("Location") != "/v1/operations/"+id {
			t.Fatalf("unexpected answer %s (Location %s)", pair.r.body, pair.r.header.Get("Location"))
		}
		reg, err := h.store.GetRegistration(t.Context(), id)
		if err != nil || !strings.HasPrefix(reg.PasswordHash, "$argon2id$") {
			t.Fatalf("registration %s: %+v, %v; want it kept with its password hashed", id, reg, err)
		}
	}
	if h.workflows.starts() != 2 {
		t.Fatalf("%d workflows started; want 2", h.workflows.starts())
	}
	if n := h.counts()["users"]; n != usersBefore {
		t.Fatalf("%d users, %d before; the API creates none", n, usersBefore)
	}
}

// A completed registration, readable by its id alone, answers the same result whatever its
// workflow returned (one from an earlier release returned the new account's id and number).
func TestOperation_CompletedRegistrationNamesNothingItCreated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do("POST", "/v1/auth/register", "", `{"email":"ana@example.com","password":"blue-Giraffe-runs-42","full_name":"Ana"}`)
	var op struct{ ID string }
	r.json(t, &op)
	h.workflows.complete(workflows.RegisterWorkflowID(op.ID), map[string]any{
		"user_id": uuid.NewString(), "account_id": uuid.NewString(), "account_number": "100000017", "currency": "USD",
	})
	p := h.do("GET", "/v1/operations/"+op.ID, "", "")
	if p.status != http.StatusOK {
		t.Fatalf("poll: %d %s", p.status, p.body)
	}
	var polled struct {
		Status string
		Result json.RawMessage
	}
	p.json(t, &polled)
	if polled.Status != "completed" || string(polled.Result) != `{"next":"log_in"}` {
		t.Fatalf("completed registration reads %s; want status completed and result {\"next\":\"log_in\"}", p.body)
	}
}

func TestLogin_SameAnswerForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	unknown := h.do("POST", "/v1/auth/login", "", `{"email":"nobody@example.com","password":"whatever-password"}`)
	wrong := h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"whatever-password"}`)
	requireProblem(t, unknown, http.StatusUnauthorized, "")
	requireProblem(t, wrong, http.StatusUnauthorized, "")
	if string(unknown.body) != string(wrong.body) {
		t.Fatalf("answers differ:\n%s\n%s", unknown.body, wrong.body)
	}
	failed := h.audit.ofType(audit.EventLoginFailed)
	if len(failed) != 2 {
		t.Fatalf("%d failed logins audited; want 2", len(failed))
	}
	for _, e := range failed {
		if e.IP == "" || e.Email == "" || strings.Contains(jsonString(t, e), "whatever-password") {
			t.Fatalf("bad audit event %+v", e)
		}
	}
}

// An unknown email and a known one with a wrong password cost the same work: a user lookup, a
// claimed attempt and a password verification, so the time of a refusal does not tell which emails
// have an account. Hashing is made nearly free here so that a difference in database work shows;
// the two kinds alternate so that the machine's noise falls on both alike; the threshold is high
// enough that no login locks on the way. A difference in work shows in every round (a claim that
// writes with a flush made the wrong password two to three times slower); a round that the
// machine's noise swamped is measured again, at most three in all.
func TestLogin_UnknownEmailTakesAsLongAsAWrongPassword(t *testing.T) {
	h := newHarnessHashing(t, password.Params{Memory: 8, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
		func(c *api.Config) { c.LockThreshold = 1000 })
	u := h.user(domain.RoleClient)
	claims := 0
	attempt := func(email string) time.Duration {
		t.Helper()
		body := `{"email":"` + email + `","password":"not-the-password-at-all"}`
		start := time.Now()
		r := h.do("POST", "/v1/auth/login", "", body)
		took := time.Since(start)
		requireProblem(t, r, http.StatusUnauthorized, "")
		if email == u.Email {
			claims++
		}
		return took
	}
	unknownEmail := func() string { return "nobody-" + uuid.NewString()[:8] + "@example.com" }
	for range 5 { // warm up connections, caches and plans
		attempt(unknownEmail())
		attempt(u.Email)
	}
	const n, rounds = 40, 3
	for round := 1; ; round++ {
		var unknown, wrong []time.Duration
		for i := range n {
			if i%2 == 0 {
				unknown = append(unknown, attempt(unknownEmail()))
				wrong = append(wrong, attempt(u.Email))
			} else {
				wrong = append(wrong, attempt(u.Email))
				unknown = append(unknown, attempt(unknownEmail()))
			}
		}
		mu, mw := median(unknown), median(wrong)
		if slow, fast := max(mu, mw), min(mu, mw); float64(slow) <= 1.2*float64(fast) {
			t.Logf("round %d: median refusal: unknown email %v, wrong password %v", round, mu, mw)
			break
		} else if round == rounds {
			t.Fatalf("median refusal: unknown email %v, wrong password %v; want within 20%% (in %d rounds)", mu, mw, rounds)
		}
		t.Logf("round %d: median refusal: unknown email %v, wrong password %v; measuring again", round, mu, mw)
	}
	// Every wrong password was claimed (the UPDATE ran) and none locked the login.
	got, err := h.store.GetUser(t.Context(), u.ID)
	if err != nil || int(got.FailedLogins) != claims || got.LockedUntil != nil {
		t.Fatalf("user %+v, %v; want %d failed logins and no lock", got, err, claims)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func TestLogin_LocksAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	for range 5 {
		requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"not-the-password"}`), http.StatusUnauthorized, "")
	}
	// Locked: even the right password is refused for now.
	r := h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`"}`)
	requireProblem(t, r, http.StatusUnauthorized, "")
	got, _ := h.store.GetUser(t.Context(), u.ID)
	if got.LockedUntil == nil || time.Until(*got.LockedUntil) < 30*time.Second {
		t.Fatalf("locked until %v", got.LockedUntil)
	}
}

// A burst of guesses checks at most the threshold's worth of passwords: each attempt is counted
// before its password is checked, and the lock is set by the attempt that reaches the threshold.
// The right password sent after the burst is refused while the lock stands.
func TestLogin_BurstChecksAtMostTheThreshold(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"not-the-password"}`)
		}()
	}
	wg.Wait()
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`"}`), http.StatusUnauthorized, "")
	checked, locked := 0, 0
	for _, e := range h.audit.ofType(audit.EventLoginFailed) {
		if e.UserID != u.ID.String() {
			continue
		}
		switch e.Details["reason"] {
		case "wrong_password":
			checked++
		case "locked":
			locked++
		}
	}
	if checked > 5 || checked+locked != 51 {
		t.Fatalf("%d passwords checked, %d refused as locked; want at most 5 checked of 51", checked, locked)
	}
}

func TestAuthRoutes_RateLimitedPerIP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *api.Config) { c.AuthRateLimit = 3 })
	for range 3 {
		h.do("POST", "/v1/auth/login", "", `{"email":"a@example.com","password":"x"}`)
	}
	r := h.do("POST", "/v1/auth/login", "", `{"email":"a@example.com","password":"x"}`)
	requireProblem(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestTokens_RevokedAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	if r := h.do("GET", "/v1/me", u.token, ""); r.status != http.StatusOK {
		t.Fatalf("me: %d", r.status)
	}
	// Refresh rotates; the old refresh token is spent, and reusing it revokes the whole session.
	r := h.do("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+u.refresh+`"}`)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	r.json(t, &tok)
	if tok.RefreshToken == u.refresh {
		t.Fatal("refresh token not rotated")
	}
	requireProblem(t, h.do("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+u.refresh+`"}`), http.StatusUnauthorized, "")
	for _, token := range []string{u.token, tok.AccessToken} {
		requireProblem(t, h.do("GET", "/v1/me", token, ""), http.StatusUnauthorized, "")
	}
	requireProblem(t, h.do("POST", "/v1/auth/refresh", "", `{"refresh_token":"`+tok.RefreshToken+`"}`), http.StatusUnauthorized, "")
	if len(h.audit.ofType(audit.EventRefreshReuse)) != 1 {
		t.Fatal("refresh token reuse not audited")
	}

	// Logout ends the session's access tokens.
	access, refresh := h.login(u.Email, u.password)
	if r := h.do("POST", "/v1/auth/logout", "", `{"refresh_token":"`+refresh+`"}`); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	requireProblem(t, h.do("GET", "/v1/me", access, ""), http.StatusUnauthorized, "")

	// A password change ends the other sessions and keeps the current one.
	current, _ := h.login(u.Email, u.password)
	other, _ := h.login(u.Email, u.password)
	r = h.do("POST", "/v1/me/password", current, `{"current_password":"`+u.password+`","new_password":"a-brand-New-passphrase-7"}`)
	if r.status != http.StatusNoContent {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	requireProblem(t, h.do("GET", "/v1/me", other, ""), http.StatusUnauthorized, "")
	if r := h.do("GET", "/v1/me", current, ""); r.status != http.StatusOK {
		t.Fatalf("current session after password change: %d", r.status)
	}
	h.login(u.Email, "a-brand-New-passphrase-7")

	// A role change takes effect at once: roles are read from the database, not the token. Made by
	// hand (as another process would), it reaches this process with its notification, at the
	// commit: within milliseconds, well before the kept session's minute.
	if _, err := h.store.Pool().Exec(t.Context(), "UPDATE users SET role = 'admin' WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	atOnce(t, "after promotion, the ledger check", func() int { return h.do("GET", "/v1/admin/ledger-check", current, "").status }, http.StatusOK)
	// Disabling a user ends their access at once.
	if _, err := h.store.Pool().Exec(t.Context(), "UPDATE users SET status = 'disabled' WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	atOnce(t, "after disabling, GET /v1/me", func() int { return h.do("GET", "/v1/me", current, "").status }, http.StatusUnauthorized)
}

// atOnce waits for a change made by another process to reach this one: do must answer want within
// half a second (the notification's delivery; the kept sessions would take a minute).
func atOnce(t *testing.T, what string, do func() int, want int) {
	t.Helper()
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		got := do()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %d; want %d within half a second", what, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJWT_Attacks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	sid := sessionOf(t, u.token)
	sign := func(method jwt.SigningMethod, key any, mutate func(jwt.MapClaims)) string {
		c := jwt.MapClaims{
			"iss": "bank", "aud": "bank-api", "sub": u.ID.String(), "exp": time.Now().Add(time.Minute).Unix(),
			"iat": time.Now().Unix(), "nbf": time.Now().Unix(), "jti": uuid.NewString(), "role": "admin", "token_type": "access", "sid": sid,
		}
		if mutate != nil {
			mutate(c)
		}
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(jwt.SigningMethodHS256, []byte(testSecret), nil)
	if r := h.do("GET", "/v1/me", good, ""); r.status != http.StatusOK {
		t.Fatalf("well-formed token refused: %d", r.status)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+uuid.NewString()+`"}`)) + "." + parts[2]
	none := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)
	cases := map[string]string{
		"alg none":      none,
		"HS512":         sign(jwt.SigningMethodHS512, []byte(testSecret), nil),
		"other key":     sign(jwt.SigningMethodHS256, []byte("another-secret-that-is-long-enough-too!!"), nil),
		"tampered":      tampered,
		"expired":       sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"no exp":        sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { delete(c, "exp") }),
		"no nbf":        sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { delete(c, "nbf") }),
		"not yet valid": sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }),
		"wrong iss":     sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["iss"] = "evil" }),
		"wrong aud":     sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["aud"] = "other" }),
		"not access":    sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["token_type"] = "refresh" }),
		"other session": sign(jwt.SigningMethodHS256, []byte(testSecret), func(c jwt.MapClaims) { c["sid"] = uuid.NewString() }),
		"refresh token": u.refresh,
		"garbage":       "not.a.token",
		"huge":          strings.Repeat("a", 1<<20),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			var r response
			if name == "huge" {
				r = h.do("GET", "/v1/me", "", "", "Authorization", "Bearer "+tok[:30000])
			} else {
				r = h.do("GET", "/v1/me", tok, "")
			}
			if r.status != http.StatusUnauthorized && r.status != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("status %d; want 401", r.status)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatal("slow to refuse")
			}
		})
	}
	// A token in the query string is ignored.
	requireProblem(t, h.do("GET", "/v1/me?access_token="+good, "", ""), http.StatusUnauthorized, "")
}

func TestMe_PatchChangesOnlyProfileFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	before := h.counts()
	for _, body := range []string{
		`{"role":"admin"}`, `{"email":"x@example.com"}`, `{"status":"disabled"}`,
		`{"full_name":"New","role":"admin"}`, `{"Full_Name":"New"}`, `{"full_name":"A","full_name":"B"}`,
	} {
		r := h.do("PATCH", "/v1/me", u.token, body)
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Fatalf("PATCH %s: %d", body, r.status)
		}
	}
	if after := h.counts(); !equalCounts(before, after) {
		t.Fatal("a refused PATCH changed the user")
	}
	r := h.do("PATCH", "/v1/me", u.token, `{"full_name":"Ana María","phone":"+573001112233"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	var me struct {
		FullName string  `json:"full_name"`
		Phone    *string `json:"phone"`
		Role     string  `json:"role"`
	}
	r.json(t, &me)
	if me.FullName != "Ana María" || me.Phone == nil || *me.Phone != "+573001112233" || me.Role != "client" {
		t.Fatalf("profile %+v", me)
	}
	h.do("PATCH", "/v1/me", u.token, `{"phone":null}`).json(t, &me)
	if me.Phone != nil || me.FullName != "Ana María" {
		t.Fatalf("after clearing phone: %+v", me)
	}
}

func sessionOf(t *testing.T, token string) string {
	t.Helper()
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		t.Fatal(err)
	}
	return c["sid"].(string)
}

// A 401 says what is wrong with the token: a client that sent "Bearer null" after a failed login
// learns it sent no token, not that one expired.
func TestAuth_RefusalSaysWhatIsWrongWithTheToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	claims := jwt.MapClaims{
		"iss": "bank", "aud": "bank-api", "sub": u.ID.String(), "sid": uuid.NewString(), "token_type": "access",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "nbf": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
	}
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]string{"null": "malformed", expired: "expired"} {
		r := h.do("GET", "/v1/me", tok, "")
		var p struct{ Detail string }
		r.json(t, &p)
		if r.status != http.StatusUnauthorized || !strings.Contains(p.Detail, want) {
			t.Errorf("token %.20s: %d %q; want 401 saying %q", tok, r.status, p.Detail, want)
		}
	}
}

// A session cannot guess the password faster than a login can: a wrong current password counts
// toward the same lockout, each is audited, and once locked neither a password change nor a login
// goes through.
func TestChangePassword_WrongCurrentCountsTowardTheLockout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(domain.RoleClient)
	for range 5 {
		r := h.do("POST", "/v1/me/password", u.token, `{"current_password":"guess-guess-guess","new_password":"a-brand-New-passphrase-7"}`)
		requireProblem(t, r, http.StatusUnprocessableEntity, "current_password")
	}
	r := h.do("POST", "/v1/me/password", u.token, `{"current_password":"`+u.password+`","new_password":"a-brand-New-passphrase-7"}`)
	requireProblem(t, r, http.StatusUnprocessableEntity, "current_password")
	requireProblem(t, h.do("POST", "/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.password+`"}`), http.StatusUnauthorized, "")
	failed := 0
	for _, e := range h.audit.ofType(audit.EventPasswordChangeFailed) {
		if e.UserID == u.ID.String() {
			failed++
		}
	}
	if failed != 6 {
		t.Fatalf("%d failed password changes audited; want 6", failed)
	}
}
