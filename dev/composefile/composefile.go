// Package composefile reads docker-compose.yml, and the Prometheus configuration it mounts, so
// tests can check that the production-like stack gives each binary the variables it reads and the
// services it needs, and scrapes each process's metrics where it serves them.
package composefile

import (
	"fmt"
	"maps"
	"net"
	"os"
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
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	// Networks, in the long form only: a fixed address on a network.
	Networks map[string]struct {
		IPv4Address string `yaml:"ipv4_address"`
	} `yaml:"networks"`
	Volumes []string `yaml:"volumes"`
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

// ScrapeProblems says what keeps Prometheus's job from scraping each of the services named in
// metricsAddrs at the address it serves its metrics on (its METRICS_ADDR): the job's targets must
// be those services, each once, at its port; and each must listen where other containers reach it
// without publishing that port on the host.
func (f File) ScrapeProblems(c ScrapeConfig, job string, metricsAddrs map[string]string) []string {
	var problems []string
	ports := map[string]string{}
	for _, service := range slices.Sorted(maps.Keys(metricsAddrs)) {
		addr := metricsAddrs[service]
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s serves no metrics Prometheus can reach (METRICS_ADDR %q)", service, addr))
			continue
		}
		if host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" {
			problems = append(problems, fmt.Sprintf("%s's METRICS_ADDR %s listens on loopback: Prometheus's container cannot reach it", service, addr))
		}
		for _, p := range f.Services[service].Ports {
			if p == port || strings.HasSuffix(p, ":"+port) {
				problems = append(problems, fmt.Sprintf("%s publishes its metrics port on the host (%s)", service, p))
			}
		}
		ports[service] = port
	}
	targets := c.Targets(job)
	if len(targets) == 0 {
		return append(problems, fmt.Sprintf("Prometheus has no job %s", job))
	}
	scraped := map[string]int{}
	for _, t := range targets {
		host, port, err := net.SplitHostPort(t)
		want, known := ports[host]
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("job %s's target %q is not host:port", job, t))
		case !known:
			problems = append(problems, fmt.Sprintf("job %s scrapes %s, which is none of %v", job, t, slices.Sorted(maps.Keys(metricsAddrs))))
		case port != want:
			problems = append(problems, fmt.Sprintf("job %s scrapes %s, but %s serves its metrics on port %s", job, t, host, want))
		}
		scraped[host]++
	}
	for service := range ports {
		if scraped[service] != 1 {
			problems = append(problems, fmt.Sprintf("job %s scrapes %s %d times; want once", job, service, scraped[service]))
		}
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
