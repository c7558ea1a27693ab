package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/bankforge/bank/domain"
	"github.com/bankforge/bank/internal/payloadcodec"
)

// The remote codec of the bank's Temporal payloads, in Temporal's codec server protocol: the
// Temporal web UI and CLI send the payloads they show (encrypted, see internal/payloadcodec) to
// POST /codec/decode and show what comes back; staff may read them, only admins encode (the UI
// encodes what an operator types to start, signal or reset a workflow). The UI calls from its own
// origin, so these routes answer CORS for the origins in Config.CodecCORSOrigins, credentials
// included: the UI cannot send the bank's bearer token, but a browser that signed in to the web app
// as staff sends the bank_codec cookie (codecPrincipalOf).

// PayloadCodec encrypts and decrypts Temporal payloads; *payloadcodec.Codec satisfies it.
type PayloadCodec interface {
	Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error)
	Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error)
}

var _ PayloadCodec = (*payloadcodec.Codec)(nil)

// DefaultCodecCORSOrigins are the Temporal web UI's origins under `make dev`.
var DefaultCodecCORSOrigins = []string{"http://localhost:8233", "http://127.0.0.1:8233"}

const (
	codecPathPrefix = "/codec/"
	// maxCodecBodyBytes bounds a codec request: a Temporal payload may be up to 2 MB, and base64
	// adds a third.
	maxCodecBodyBytes = 4 << 20
	// codecAllowHeaders are the request headers the Temporal UI sends to the codec.
	codecAllowHeaders = "Authorization, Content-Type, X-Namespace"
	// codecPreflightMaxAge is how long (seconds) a browser may keep a preflight's answer.
	codecPreflightMaxAge = "600"
)

// withCodecCORS lets the Temporal UI's origins read every answer of the codec's routes, refusals
// and rate limits included, so the UI can tell what went wrong, and send the bank_codec cookie with
// their requests (credentials). Other origins get no CORS header: their browsers keep the answer
// from their script.
func (s *server) withCodecCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, codecPathPrefix) {
			w.Header().Add("Vary", "Origin")
			if origin := r.Header.Get("Origin"); s.codecOrigin(origin) {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) codecOrigin(origin string) bool {
	return origin != "" && slices.Contains(s.cfg.CodecCORSOrigins, strings.ToLower(origin))
}

// codecPreflight answers a browser's CORS preflight: from an allowed origin, POST with the
// headers the Temporal UI sends; from any other, nothing to allow.
func (s *server) codecPreflight(w http.ResponseWriter, r *http.Request) error {
	if s.codecOrigin(r.Header.Get("Origin")) && r.Header.Get("Access-Control-Request-Method") == http.MethodPost {
		w.Header().Set("Access-Control-Allow-Methods", http.MethodPost)
		w.Header().Set("Access-Control-Allow-Headers", codecAllowHeaders)
		w.Header().Set("Access-Control-Max-Age", codecPreflightMaxAge)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodePayloads decrypts the payloads, passing those in clear through. One that cannot be
// decrypted (a key the bank does not hold, an altered ciphertext) fails the request, naming it.
func (s *server) decodePayloads(w http.ResponseWriter, r *http.Request) error {
	in, err := readPayloads(w, r)
	if err != nil {
		return err
	}
	out := in
	if s.codec != nil {
		out = make([]*commonpb.Payload, len(in))
		var bad []FieldError
		for i, p := range in {
			d, err := s.codec.Decode([]*commonpb.Payload{p})
			if err != nil {
				bad = append(bad, FieldError{Field: fmt.Sprintf("payloads[%d]", i), Message: undecodable(err)})
				continue
			}
			out[i] = d[0]
		}
		if len(bad) > 0 {
			return &apiError{code: domain.CodePayloadUndecodable, fields: bad,
				detail: "Payloads named in errors cannot be decrypted with the keys this bank holds; nothing was decoded."}
		}
	}
	s.logCodec(r, "payloads decoded", len(out))
	return writePayloads(w, out)
}

// encodePayloads encrypts the payloads with the key that encrypts new payloads.
func (s *server) encodePayloads(w http.ResponseWriter, r *http.Request) error {
	in, err := readPayloads(w, r)
	if err != nil {
		return err
	}
	out := in
	if s.codec != nil {
		if out, err = s.codec.Encode(in); err != nil {
			return internalError(fmt.Errorf("encode payloads: %w", err))
		}
	}
	s.logCodec(r, "payloads encoded", len(out))
	return writePayloads(w, out)
}

// logCodec records who read or wrote payloads through the codec, and how many: one line per
// request (the UI sends one per event it shows, too many for the audit log).
func (s *server) logCodec(r *http.Request, msg string, n int) {
	p := caller(r.Context())
	ns := r.Header.Get("X-Namespace")
	if len(ns) > 255 {
		ns = ns[:255]
	}
	s.logger.InfoContext(r.Context(), msg, "user_id", p.UserID.String(), "role", p.Role, "namespace", ns,
		"payloads", n, "request_id", requestID(r.Context()))
}

func undecodable(err error) string {
	var de *payloadcodec.DecodeError
	switch {
	case errors.As(err, &de) && de.Reason == payloadcodec.ReasonUnknownKey:
		return fmt.Sprintf("is encrypted with key %q, which this bank does not hold", de.KeyID)
	case errors.As(err, &de):
		return fmt.Sprintf("does not authenticate under key %q: it was altered or is corrupted", de.KeyID)
	default:
		return "cannot be decrypted"
	}
}

// readPayloads reads a codec request's body: Temporal's Payloads in protobuf's JSON mapping, which
// refuses unknown and repeated fields.
func readPayloads(w http.ResponseWriter, r *http.Request) ([]*commonpb.Payload, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, newError(domain.CodeUnsupportedMedia, "Send the body with Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCodecBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newError(domain.CodeBodyTooLarge, fmt.Sprintf("The body must be at most %d bytes.", maxCodecBodyBytes))
		}
		return nil, newError(domain.CodeInvalidJSON, "The body could not be read.")
	}
	var ps commonpb.Payloads
	if err := protojson.Unmarshal(body, &ps); err != nil {
		return nil, newError(domain.CodeInvalidJSON,
			`The body must be Temporal payloads in JSON: {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}.`)
	}
	return ps.GetPayloads(), nil
}

func writePayloads(w http.ResponseWriter, ps []*commonpb.Payload) error {
	body := []byte(`{"payloads":[]}`)
	if len(ps) > 0 {
		var err error
		if body, err = protojson.Marshal(&commonpb.Payloads{Payloads: ps}); err != nil {
			return internalError(fmt.Errorf("write payloads: %w", err))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}
