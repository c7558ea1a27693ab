package payloadcodec

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// Whatever a payload holds, it comes back whole; and bytes that the codec did not seal never
// decrypt, whatever key id they name: a forgery is refused, never read as a payload.
func FuzzCodec(f *testing.F) {
	f.Add([]byte(`{"email":"ana@example.com"}`), "json/plain", []byte("\x00\x01\x02"), "k1")
	f.Add([]byte{}, "", []byte{}, "")
	f.Add([]byte("x"), Encoding, make([]byte, 40), "k2")
	keys, err := ParseKeys("k1:" + "q8Xv3kN0tR7bW1yZ5cF9hJ2mP6sD4gL8uE0aT3iQ7oY=" + ",k2:" + "kT3w9Qz7LbV1xR5mYc8NfA2hJ6sD0pUe4GiWvXoKqZ8=")
	if err != nil {
		f.Fatal(err)
	}
	c, err := New(keys)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, encoding string, forged []byte, keyID string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(encoding)}, Data: data}
		enc, err := c.Encode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Decode(enc)
		if err != nil || !proto.Equal(dec[0], p) {
			t.Fatalf("%v came back as %v, %v", p, dec, err)
		}
		forgery := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(Encoding), MetadataKeyID: []byte(keyID)}, Data: forged}
		if out, err := c.Decode([]*commonpb.Payload{forgery}); err == nil {
			t.Fatalf("forged bytes %x under key %q decoded into %v", forged, keyID, out)
		}
	})
}
