// Package composefile reads docker-compose.yml, and the Prometheus configuration it mounts, so
// tests can check that the production-like stack gives each binary the variables it reads and the
// services it needs, and scrapes each process's metrics where it serves them.
package composefile

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Service is the part of a compose service the checks look at.
type Service struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	Command     []string                     `yaml:"command"`
	Environment map[string]string            `yaml:"environment"`
	DependsOn   map[string]map[string]string `yaml:"depends_on"`
	Ports       []string                     `yaml:"ports"`
	Volumes     []string                     `yaml:"volumes"`
	// Networks is the service's networks: a list of names, or a map of each to its settings.
	Networks    any `yaml:"networks"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// Hosts are the names other services reach this one by on the compose network: its own, and its
// aliases.
func (s Service) Hosts(name string) []string {
	hosts := []string{name}
	networks, _ := s.Networks.(map[string]any)
	for _, n := range networks {
		settings, _ := n.(map[string]any)
		aliases, _ := settings["aliases"].([]any)
		for _, a := range aliases {
			if a, ok := a.(string); ok {
				hosts = append(hosts, a)
			}
		}
	}
	return hosts
}

// File is a compose file.
type File struct {
	Services map[string]Service `yaml:"services"`
}

// Load parses the compose file at path, resolving anchors and merge keys.
func Load(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	var f File
	if err := yaml.Unmarshal(b, &f); err != nil {
		return File{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return f, nil
}

// ScrapeConfig is the part of a Prometheus configuration the checks read: each job's targets.
type ScrapeConfig struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// Targets lists the host:port targets of job.
func (c ScrapeConfig) Targets(job string) []string {
	var out []string
	for _, sc := range c.ScrapeConfigs {
		if sc.JobName != job {
			continue
		}
		for _, st := range sc.StaticConfigs {
			out = append(out, st.Targets...)
		}
	}
	return out
}

// LoadScrapeConfig parses the Prometheus configuration at path.
func LoadScrapeConfig(path string) (ScrapeConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ScrapeConfig{}, err
	}
	var c ScrapeConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		return ScrapeConfig{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return c, nil
}

// ScrapeProblems says what keeps Prometheus's job from scraping the metrics that service serves at
// metricsAddr (its METRICS_ADDR): the address must be reachable from other containers and not
// published on the host, and each of the job's targets must be at its port, on the service or on a
// replica named after it (service-1, service-2, ...), at least one of them reachable now.
func (f File) ScrapeProblems(c ScrapeConfig, job, service, metricsAddr string) []string {
	var problems []string
	host, port, err := net.SplitHostPort(metricsAddr)
	if err != nil {
		return []string{fmt.Sprintf("%s serves no metrics Prometheus can reach (METRICS_ADDR %q)", service, metricsAddr)}
	}
	if host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" {
		problems = append(problems, fmt.Sprintf("%s's METRICS_ADDR %s listens on loopback: Prometheus's container cannot reach it", service, metricsAddr))
	}
	svc := f.Services[service]
	for _, p := range svc.Ports {
		if strings.HasSuffix(p, ":"+port) || p == port {
			problems = append(problems, fmt.Sprintf("%s publishes its metrics port on the host (%s)", service, p))
		}
	}
	targets := c.Targets(job)
	if len(targets) == 0 {
		return append(problems, fmt.Sprintf("Prometheus has no job %s", job))
	}
	replica := regexp.MustCompile(`^` + regexp.QuoteMeta(service) + `-[0-9]+$`)
	reachable := 0
	for _, t := range targets {
		h, p, err := net.SplitHostPort(t)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("job %s's target %q is not host:port", job, t))
			continue
		case p != port:
			problems = append(problems, fmt.Sprintf("job %s scrapes %s, but %s serves its metrics on port %s", job, t, service, port))
		case !replica.MatchString(h) && h != service:
			problems = append(problems, fmt.Sprintf("job %s scrapes %s, which is neither %s nor one of its replicas", job, t, service))
		}
		if slices.Contains(svc.Hosts(service), h) {
			reachable++
		}
	}
	if reachable == 0 {
		problems = append(problems, fmt.Sprintf("none of job %s's targets %v is a host of service %s (%v)", job, targets, service, svc.Hosts(service)))
	}
	return problems
}

// Recorder is an environment lookup that answers from a map and remembers every name asked for.
type Recorder struct {
	Env  map[string]string
	Read map[string]bool
}

// Lookup implements the os.LookupEnv signature.
func (r *Recorder) Lookup(name string) (string, bool) {
	if r.Read == nil {
		r.Read = map[string]bool{}
	}
	r.Read[name] = true
	v, ok := r.Env[name]
	return v, ok
}
