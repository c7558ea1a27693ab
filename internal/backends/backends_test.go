package backends

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankforge/bank/internal/envconfig"
	"github.com/bankforge/bank/internal/payloadcodec"
)

func newKeys(t *testing.T, ids ...string) string {
	t.Helper()
	var parts []string
	for _, id := range ids {
		s, err := payloadcodec.NewKeySetting(id)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// read reads a Config from env alone: no process environment, and no user's Temporal config file.
func read(t *testing.T, env map[string]string) (Config, error) {
	t.Helper()
	if _, ok := env["TEMPORAL_CONFIG_FILE"]; !ok {
		empty := filepath.Join(t.TempDir(), "temporal.toml")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		env["TEMPORAL_CONFIG_FILE"] = empty
	}
	e := envconfig.New(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	c := Read(e)
	return c, e.Err()
}

func logLine(c Config) string { return fmt.Sprintln(c.LogAttrs()...) }

// With nothing set, the client connects to the local server's default namespace, as before.
func TestRead_TemporalDefaults(t *testing.T) {
	c, err := read(t, map[string]string{"PAYLOAD_CODEC_KEYS": newKeys(t, "k1")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.HostPort != "127.0.0.1:7233" || c.Temporal.Namespace != "default" || c.TemporalAddress != "127.0.0.1:7233" ||
		c.TemporalNamespace != "default" || c.Temporal.ConnectionOptions.TLS != nil || c.Temporal.Credentials != nil {
		t.Fatalf("defaults: %+v", c.Temporal)
	}
	if !strings.Contains(logLine(c), "temporal_tls off") {
		t.Fatalf("log line %s", logLine(c))
	}
}

// Temporal Cloud with an API key: the address, namespace and key from Temporal's standard
// variables, TLS on by the key; the log shows the key's length only.
func TestRead_TemporalCloudAPIKey(t *testing.T) {
	const apiKey = "tcld-secret-api-key-0123456789"
	c, err := read(t, map[string]string{
		"PAYLOAD_CODEC_KEYS": newKeys(t, "k1"),
		"TEMPORAL_ADDRESS":   "bank-prod.a1b2c.tmprl.cloud:7233", "TEMPORAL_NAMESPACE": "bank-prod.a1b2c",
		"TEMPORAL_API_KEY": apiKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.HostPort != "bank-prod.a1b2c.tmprl.cloud:7233" || c.TemporalNamespace != "bank-prod.a1b2c" ||
		c.Temporal.Credentials == nil || c.Temporal.ConnectionOptions.TLS == nil {
		t.Fatalf("cloud: %+v", c.Temporal)
	}
	line := logLine(c)
	if strings.Contains(line, apiKey) || !strings.Contains(line, "temporal_api_key ***(30 bytes)") || !strings.Contains(line, "temporal_tls on") {
		t.Fatalf("log line %s", line)
	}
}

// Self-hosted with mutual TLS, from a profile of a Temporal config file, the variables over it;
// the log names the files, never the key.
func TestRead_TemporalMTLSProfile(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	file := filepath.Join(dir, "temporal.toml")
	toml := fmt.Sprintf(`
[profile.prod]
address = "temporal.bank.internal:7233"
namespace = "bank"
[profile.prod.tls]
client_cert_path = %q
client_key_path = %q
server_name = "temporal.bank.internal"
[profile.prod.grpc_meta]
x-team = "payments"
`, cert, key)
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := read(t, map[string]string{
		"PAYLOAD_CODEC_KEYS": newKeys(t, "k2", "k1"), "TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod",
		"TEMPORAL_NAMESPACE": "bank-eu",
	})
	if err != nil {
		t.Fatal(err)
	}
	tls := c.Temporal.ConnectionOptions.TLS
	if c.Temporal.HostPort != "temporal.bank.internal:7233" || c.TemporalNamespace != "bank-eu" || tls == nil ||
		len(tls.Certificates) != 1 || tls.ServerName != "temporal.bank.internal" || c.Temporal.HeadersProvider == nil {
		t.Fatalf("mtls: %+v", c.Temporal)
	}
	line := logLine(c)
	for _, want := range []string{"temporal_tls mtls", "temporal_tls_client_cert " + cert, "temporal_profile prod", "temporal_grpc_meta [x-team]",
		"payload_encryption_key k2", "payload_decryption_keys [k2 k1]"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %s lacks %q", line, want)
		}
	}
	if strings.Contains(line, "payments") || strings.Contains(line, "PRIVATE KEY") {
		t.Errorf("log line shows a secret: %s", line)
	}
}

// What Temporal's configuration cannot use stops the process at start, named.
func TestRead_TemporalRefusals(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "temporal.toml")
	if err := os.WriteFile(file, []byte("[profile.default]\naddress = \"x:7233\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[profile.default\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := newKeys(t, "k1")
	for name, env := range map[string]map[string]string{
		"missing file":    {"TEMPORAL_CONFIG_FILE": filepath.Join(dir, "nope.toml")},
		"missing profile": {"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"},
		"bad toml":        {"TEMPORAL_CONFIG_FILE": bad},
		"missing cert":    {"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "nope.pem"), "TEMPORAL_TLS_CLIENT_KEY_PATH": filepath.Join(dir, "nope.key")},
		"half a pair":     {"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "nope.pem")},
	} {
		env["PAYLOAD_CODEC_KEYS"] = keys
		if _, err := read(t, env); err == nil || !strings.Contains(err.Error(), "Temporal client configuration") {
			t.Errorf("%s: %v; want the Temporal configuration refused", name, err)
		}
	}
}

// Payloads are encrypted unless the operator says otherwise: no key stops the process, off keeps
// them in clear, and the keys are logged by id only.
func TestRead_PayloadCodecKeys(t *testing.T) {
	if _, err := read(t, map[string]string{}); err == nil || !strings.Contains(err.Error(), "PAYLOAD_CODEC_KEYS is required") {
		t.Fatalf("no keys: %v", err)
	}
	if _, err := read(t, map[string]string{"PAYLOAD_CODEC_KEYS": "k1:c2hvcnQ="}); err == nil || !strings.Contains(err.Error(), "PAYLOAD_CODEC_KEYS") {
		t.Fatalf("a short key: %v", err)
	}
	c, err := read(t, map[string]string{"PAYLOAD_CODEC_KEYS": "OFF"})
	if err != nil || c.PayloadKeys != nil || !strings.Contains(logLine(c), "payload_codec off") {
		t.Fatalf("off: %v %v", c.PayloadKeys, err)
	}
	keys := newKeys(t, "k2", "k1")
	c, err = read(t, map[string]string{"PAYLOAD_CODEC_KEYS": keys})
	if err != nil || len(c.PayloadKeys) != 2 || c.PayloadKeys[0].ID != "k2" {
		t.Fatalf("two keys: %v %v", c.PayloadKeys, err)
	}
	for _, part := range strings.Split(keys, ",") {
		_, secret, _ := strings.Cut(part, ":")
		if strings.Contains(logLine(c), secret) {
			t.Fatal("the log line shows a key")
		}
	}
}

// writeCert writes a self-signed client certificate and its key to dir.
func writeCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bank-worker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}
