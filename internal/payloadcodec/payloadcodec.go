// Package payloadcodec encrypts every payload the bank hands to Temporal (workflow and activity
// inputs and results, signals, queries, memos, failures' messages) with AES-256-GCM, so that the
// Temporal server, its database and whoever reads a workflow's history see ciphertext only.
//
// An encrypted payload's metadata says `encoding: binary/encrypted` and names its key in
// `encryption-key-id`; its data is a random 12-byte nonce followed by the sealed original payload
// (its own metadata and data, protobuf-encoded), authenticated together with the key id. The codec
// holds several keys for rotation: the first encrypts, every one decrypts. A payload without the
// encrypted encoding (one written before encryption was turned on) is passed through as it is.
package payloadcodec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// The metadata of an encrypted payload.
const (
	// Encoding is the `encoding` of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

const nonceSize = 12

// Off is the value of the keys' setting that keeps payloads in clear.
const Off = "off"

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Key is one named AES-256 key.
type Key struct {
	ID     string
	secret []byte
}

// ParseKeys reads keys written as comma-separated `id:base64` pairs, such as
// `k2:<32 bytes in base64>,k1:<...>`: ids of 1 to 64 characters of [A-Za-z0-9._-], each key 32
// bytes in standard or URL-safe base64 (padded or not). The first encrypts.
func ParseKeys(s string) ([]Key, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no key")
	}
	var keys []Key
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !ok || !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("key %d is not id:base64 with an id of 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'", i+1)
		}
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, fmt.Errorf("key %s is not base64", id)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("key %s is %d bytes; it must be %d (e.g. `openssl rand -base64 32`)", id, len(secret), KeySize)
		}
		if distinct(secret) < minDistinctBytes {
			return nil, fmt.Errorf("key %s looks guessable (repeated bytes); use random bytes, e.g. from `openssl rand -base64 32`", id)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %s appears twice", id)
		}
		for _, k := range keys {
			if bytes.Equal(k.secret, secret) {
				return nil, fmt.Errorf("keys %s and %s are the same key", k.ID, id)
			}
		}
		seen[id] = true
		keys = append(keys, Key{ID: id, secret: secret})
	}
	return keys, nil
}

// minDistinctBytes is the fewest different byte values a key may hold. 32 random bytes hold about
// 30; fewer than 16 happens by chance less than once in 2^50 keys, and catches a key of
// zeros, a repeated pattern or a short password padded out.
const minDistinctBytes = 16

func distinct(b []byte) int {
	seen := map[byte]bool{}
	for _, c := range b {
		seen[c] = true
	}
	return len(seen)
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewKeySetting returns a new random key named id, written as the keys' setting takes it.
func NewKeySetting(id string) (string, error) {
	if !keyIDPattern.MatchString(id) {
		return "", fmt.Errorf("key id %q is not 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'", id)
	}
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(b), nil
}

// Codec encrypts payloads with its first key and decrypts with any of its keys. It is safe for
// concurrent use.
type Codec struct {
	encryptWith string
	ids         []string
	aeads       map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys; the first encrypts.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("payload codec: no key")
	}
	c := &Codec{encryptWith: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		block, err := aes.NewCipher(k.secret)
		if err != nil {
			return nil, fmt.Errorf("payload codec: key %s: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payload codec: key %s: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// EncryptingKeyID names the key new payloads are encrypted with.
func (c *Codec) EncryptingKeyID() string { return c.encryptWith }

// KeyIDs names every key the codec decrypts with, the encrypting one first.
func (c *Codec) KeyIDs() []string { return append([]string(nil), c.ids...) }

// Encode encrypts each payload with the first key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encryptWith]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		sealed := make([]byte, nonceSize, nonceSize+len(plain)+aead.Overhead())
		if _, err := rand.Read(sealed); err != nil {
			return payloads, fmt.Errorf("encrypt payload: read random: %w", err)
		}
		sealed = aead.Seal(sealed, sealed[:nonceSize], plain, additionalData(c.encryptWith))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.encryptWith),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload and passes any other through unchanged. It fails on a
// payload sealed with a key it does not hold, or one that was altered.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return payloads, &DecodeError{KeyID: id, Reason: ReasonUnknownKey}
		}
		data := p.GetData()
		if len(data) < nonceSize+aead.Overhead() {
			return payloads, &DecodeError{KeyID: id, Reason: ReasonTampered}
		}
		plain, err := aead.Open(nil, data[:nonceSize], data[nonceSize:], additionalData(id))
		if err != nil {
			return payloads, &DecodeError{KeyID: id, Reason: ReasonTampered}
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return payloads, &DecodeError{KeyID: id, Reason: ReasonTampered}
		}
		out[i] = &orig
	}
	return out, nil
}

// additionalData binds a ciphertext to its key id, so that the id cannot be changed unnoticed.
func additionalData(keyID string) []byte { return []byte(Encoding + ";" + keyID) }

// Why an encrypted payload could not be decrypted.
const (
	ReasonUnknownKey = "unknown_key"
	ReasonTampered   = "tampered"
)

// DecodeError says why an encrypted payload could not be decrypted.
type DecodeError struct {
	KeyID  string
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Reason == ReasonUnknownKey {
		return fmt.Sprintf("decrypt payload: it was encrypted with key %q, which is not configured", e.KeyID)
	}
	return fmt.Sprintf("decrypt payload: it does not authenticate under key %q: altered or corrupted", e.KeyID)
}

// DataConverter is the default data converter with codec's encryption after it; a nil codec
// keeps payloads in clear.
func DataConverter(codec converter.PayloadCodec) converter.DataConverter {
	if codec == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
}

// FailureConverter writes a failure's message and stack trace into an encoded payload, through
// dc, so that an error's text (which may name an account or a person) is encrypted too. The
// failure's type, which the bank's refusals are read by, stays in clear.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}
