package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankforge/bank/dev/composefile"
)

func TestLoadConfig_RefusesBadValues(t *testing.T) {
	_, err := loadConfig((&composefile.Recorder{Env: map[string]string{"MAIL_MODE": "pigeon", "HOLD_TTL": "1s"}}).Lookup)
	if err == nil || !strings.Contains(err.Error(), "MAIL_MODE") || !strings.Contains(err.Error(), "HOLD_TTL") {
		t.Fatalf("bad values: %v; want both named", err)
	}
}

// The compose stack gives the worker the variables it reads, pointing at healthy services.
func TestCompose_WorkerService(t *testing.T) {
	f, err := composefile.Load(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	svc := f.Services["worker"]
	r := &composefile.Recorder{Env: svc.Environment}
	if _, err := loadConfig(r.Lookup); err != nil {
		t.Fatalf("the worker refuses the compose configuration: %v", err)
	}
	for key := range svc.Environment {
		if !r.Read[key] {
			t.Errorf("worker sets %s, which it never reads", key)
		}
	}
	for key, host := range map[string]string{"DATABASE_URL": "@postgres:", "MONGO_URI": "//mongo:", "TEMPORAL_ADDRESS": "temporal:", "SMTP_ADDR": "mailpit:"} {
		if !strings.Contains(svc.Environment[key], host) {
			t.Errorf("worker's %s = %q does not point at its service", key, svc.Environment[key])
		}
	}
	if svc.Environment["MAIL_MODE"] != "smtp" {
		t.Error("the compose worker does not send real email")
	}
	for _, dep := range []string{"postgres", "mongo", "temporal", "mailpit"} {
		if svc.DependsOn[dep]["condition"] != "service_healthy" {
			t.Errorf("worker does not wait for %s to be healthy", dep)
		}
	}
}
