package payloadcodec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func newCodec(t *testing.T, setting string) *Codec {
	t.Helper()
	keys, err := ParseKeys(setting)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSetting(t *testing.T, id string) string {
	t.Helper()
	s, err := NewKeySetting(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A transfer's input as the SDK writes it: JSON with its own metadata.
func clearPayload(t *testing.T) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]any{
		"email": "ana@example.com", "to_account_number": "401234567891", "note": "card testing",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A payload comes back whole, metadata and data; what the server stores names the key and shows
// none of the clear text.
func TestCodec_RoundTrip(t *testing.T) {
	c := newCodec(t, newSetting(t, "k1"))
	in := []*commonpb.Payload{clearPayload(t), {Metadata: map[string][]byte{"encoding": []byte("binary/null")}}}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != len(in) {
		t.Fatalf("%d payloads encoded into %d", len(in), len(enc))
	}
	for i, p := range enc {
		if got := string(p.Metadata["encoding"]); got != Encoding {
			t.Errorf("payload %d: encoding %q; want %q", i, got, Encoding)
		}
		if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
			t.Errorf("payload %d: key id %q; want k1", i, got)
		}
		if len(p.Metadata) != 2 {
			t.Errorf("payload %d: metadata %v; want the encoding and the key id only", i, p.Metadata)
		}
		for _, clear := range []string{"ana@example.com", "401234567891", "card testing", "json/plain"} {
			if bytes.Contains(p.Data, []byte(clear)) {
				t.Errorf("payload %d carries %q in clear", i, clear)
			}
		}
	}
	// Two encryptions of one payload differ: the nonce is random.
	again, err := c.Encode(in[:1])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again[0].Data, enc[0].Data) {
		t.Fatal("the same payload encrypted twice gave the same bytes")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(dec[i], in[i]) {
			t.Errorf("payload %d: decoded %v; want %v", i, dec[i], in[i])
		}
	}
	// Through the data converter, as the SDK uses it.
	dc := DataConverter(c)
	p, err := dc.ToPayload("Ana López")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata["encoding"]) != Encoding || bytes.Contains(p.Data, []byte("López")) {
		t.Fatalf("the data converter wrote %v", p)
	}
	var name string
	if err := dc.FromPayload(p, &name); err != nil || name != "Ana López" {
		t.Fatalf("read back %q, %v", name, err)
	}
}

// Changing any byte of the ciphertext, or the key id it names, is caught.
func TestCodec_TamperingIsDetected(t *testing.T) {
	c := newCodec(t, newSetting(t, "k2")+","+newSetting(t, "k1"))
	enc, err := c.Encode([]*commonpb.Payload{clearPayload(t)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc[0].Data {
		p := proto.Clone(enc[0]).(*commonpb.Payload)
		p.Data[i] ^= 0x01
		_, err := c.Decode([]*commonpb.Payload{p})
		var de *DecodeError
		if !errors.As(err, &de) || de.Reason != ReasonTampered {
			t.Fatalf("byte %d flipped: %v; want a tampering error", i, err)
		}
	}
	truncated := proto.Clone(enc[0]).(*commonpb.Payload)
	truncated.Data = truncated.Data[:10]
	if _, err := c.Decode([]*commonpb.Payload{truncated}); err == nil {
		t.Fatal("a truncated payload decoded")
	}
	// Naming the other key the codec holds: the ciphertext is bound to the key id.
	relabeled := proto.Clone(enc[0]).(*commonpb.Payload)
	relabeled.Metadata[MetadataKeyID] = []byte("k1")
	if _, err := c.Decode([]*commonpb.Payload{relabeled}); err == nil {
		t.Fatal("a payload relabeled with another key id decoded")
	}
}

// A payload sealed with a key the codec does not hold is refused, naming the key.
func TestCodec_UnknownKeyID(t *testing.T) {
	old := newCodec(t, newSetting(t, "retired"))
	enc, err := old.Encode([]*commonpb.Payload{clearPayload(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := newCodec(t, newSetting(t, "k1"))
	_, err = c.Decode(enc)
	var de *DecodeError
	if !errors.As(err, &de) || de.Reason != ReasonUnknownKey || de.KeyID != "retired" || !strings.Contains(err.Error(), "retired") {
		t.Fatalf("decode under other keys: %v; want an unknown key error naming retired", err)
	}
	noID := proto.Clone(enc[0]).(*commonpb.Payload)
	delete(noID.Metadata, MetadataKeyID)
	if _, err := c.Decode([]*commonpb.Payload{noID}); !errors.As(err, &de) || de.Reason != ReasonUnknownKey {
		t.Fatalf("decode without a key id: %v; want an unknown key error", err)
	}
}

// Rotation: with a new key first and the old one after it, new payloads are encrypted with the new
// key and the old payloads still decrypt.
func TestCodec_Rotation(t *testing.T) {
	k1, k2 := newSetting(t, "k1"), newSetting(t, "k2")
	before := newCodec(t, k1)
	oldPayloads, err := before.Encode([]*commonpb.Payload{clearPayload(t)})
	if err != nil {
		t.Fatal(err)
	}
	// First step: every process learns k2 while k1 still encrypts.
	learning := newCodec(t, k1+","+k2)
	if learning.EncryptingKeyID() != "k1" {
		t.Fatalf("encrypting with %s; want k1 until it moves to second place", learning.EncryptingKeyID())
	}
	// Second step: k2 encrypts.
	after := newCodec(t, k2+", "+k1)
	if got := after.KeyIDs(); len(got) != 2 || got[0] != "k2" || got[1] != "k1" {
		t.Fatalf("key ids %v", got)
	}
	newPayloads, err := after.Encode([]*commonpb.Payload{clearPayload(t)})
	if err != nil {
		t.Fatal(err)
	}
	if id := string(newPayloads[0].Metadata[MetadataKeyID]); id != "k2" {
		t.Fatalf("new payloads encrypted with %s; want k2", id)
	}
	for name, c := range map[string]*Codec{"learning": learning, "after": after} {
		for _, ps := range [][]*commonpb.Payload{oldPayloads, newPayloads} {
			dec, err := c.Decode(ps)
			if err != nil || !proto.Equal(dec[0], clearPayload(t)) {
				t.Fatalf("%s codec: decode a %s payload: %v", name, ps[0].Metadata[MetadataKeyID], err)
			}
		}
	}
	// A process that never learnt k2 cannot read what k2 sealed: why the first step comes first.
	if _, err := before.Decode(newPayloads); err == nil {
		t.Fatal("a codec without k2 decoded a k2 payload")
	}
}

// Payloads written in clear (before encryption was turned on, or by another client) pass through
// decoding unchanged.
func TestCodec_ClearPayloadsPassThrough(t *testing.T) {
	c := newCodec(t, newSetting(t, "k1"))
	in := []*commonpb.Payload{clearPayload(t), {}, {Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: []byte("x")}}
	out, err := c.Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(out[i], in[i]) {
			t.Errorf("payload %d changed: %v -> %v", i, in[i], out[i])
		}
	}
	mixed, err := c.Encode(in[:1])
	if err != nil {
		t.Fatal(err)
	}
	out, err = c.Decode([]*commonpb.Payload{in[0], mixed[0]})
	if err != nil || !proto.Equal(out[0], in[0]) || !proto.Equal(out[1], in[0]) {
		t.Fatalf("a clear and an encrypted payload together: %v %v", out, err)
	}
}

// The setting is checked whole at start: each bad key is refused with a reason that names it and
// never shows key material.
func TestParseKeys_RefusesBadSettings(t *testing.T) {
	good := newSetting(t, "k1")
	_, secret, _ := strings.Cut(good, ":")
	for name, setting := range map[string]string{
		"empty":          "",
		"no id":          secret,
		"bad id":         "key one:" + secret,
		"not base64":     "k1:not base64!",
		"short key":      "k1:c2hvcnQ=",
		"zeros":          "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"a pattern":      "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("password"), 4)),
		"duplicate id":   good + "," + newSetting(t, "k1"),
		"same key twice": good + ",k2:" + secret,
		"trailing comma": good + ",",
	} {
		_, err := ParseKeys(setting)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
	// Standard and URL-safe base64, padded or not, with spaces around the parts.
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(secret, "="))
	std, err := ParseKeys(" k1 : " + secret + " ")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys("k2:" + urlSafe + ",k3:" + strings.TrimPrefix(newSetting(t, "x"), "x:"))
	if err != nil || len(keys) != 2 || keys[0].ID != "k2" || !bytes.Equal(keys[0].secret, std[0].secret) {
		t.Fatalf("URL-safe unpadded base64: %v", err)
	}
	if _, err := New(nil); err == nil {
		t.Fatal("a codec without keys")
	}
}
