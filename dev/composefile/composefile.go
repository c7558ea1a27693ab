// Package composefile reads docker-compose.yml so tests can check that the production-like stack
// gives each binary the variables it reads and the services it needs.
package composefile

import (
	"fmt"
	"os"

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
