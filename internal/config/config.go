package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// Defaults.
const (
	DefaultHost        = "unix:///run/berth/berth.sock"
	DefaultDataRoot    = "/var/lib/berth"
	DefaultExecRoot    = "/run/berth"
	DefaultPidFile     = "/run/berth.pid"
	DefaultConfigFile  = "/etc/berth/daemon.json"
	DefaultRuntimeName = "berth"
	// DefaultLogMaxSize and DefaultLogMaxFile cap every container's json-file
	// log when no log options are given: unlike dockerd, whose unbounded
	// default fills disks (moby/moby#40207).
	DefaultLogMaxSize = "20m"
	DefaultLogMaxFile = "3"
)

// Runtime is an OCI runtime berthd can run containers with.
type Runtime struct {
	Path string   `json:"path"`
	Args []string `json:"runtimeArgs,omitempty"`
}

// Config is the daemon configuration. JSON names follow dockerd's daemon.json.
type Config struct {
	Hosts          []string           `json:"hosts,omitempty"`
	DataRoot       string             `json:"data-root,omitempty"`
	ExecRoot       string             `json:"exec-root,omitempty"`
	PidFile        string             `json:"pidfile,omitempty"`
	LogLevel       string             `json:"log-level,omitempty"`
	Debug          bool               `json:"debug,omitempty"`
	DefaultRuntime string             `json:"default-runtime,omitempty"`
	Runtimes       map[string]Runtime `json:"runtimes,omitempty"`
	LogOpts        map[string]string  `json:"log-opts,omitempty"`
	Group          string             `json:"group,omitempty"`
	// RegistryAddr, when set, serves a private OCI registry (berth-registry's
	// server) on this address, storing under <data-root>/registry.
	RegistryAddr string `json:"registry-addr,omitempty"`
	// RuntimeBinary is the berth-runtime executable: the default runtime and
	// the monitor. Empty means "next to berthd, else in PATH".
	RuntimeBinary string `json:"berth-runtime,omitempty"`
	// Init runs an init (berth-init) as PID 1 of every container that does
	// not say --init=false; InitPath is that binary (empty: next to
	// berthd, else PATH).
	Init     bool   `json:"init,omitempty"`
	InitPath string `json:"init-path,omitempty"`
	// SeccompProfile is the default seccomp profile: a JSON file in Docker's
	// format, "unconfined", or "builtin"/empty for Docker's default.
	SeccompProfile string `json:"seccomp-profile,omitempty"`
	// NoNewPrivileges sets no_new_privs in every container.
	NoNewPrivileges bool `json:"no-new-privileges,omitempty"`
	// UsernsRemap runs containers in a user namespace whose root is an
	// unprivileged host user: "default" (the user dockremap), "USER[:GROUP]"
	// or "UID[:GID]", with the subordinate ID ranges SubUIDFile and
	// SubGIDFile give that user (default /etc/subuid and /etc/subgid).
	UsernsRemap string `json:"userns-remap,omitempty"`
	SubUIDFile  string `json:"subuid-file,omitempty"`
	SubGIDFile  string `json:"subgid-file,omitempty"`
	// RegistryMirrors are Docker Hub pull-through mirrors, tried first.
	RegistryMirrors []string `json:"registry-mirrors,omitempty"`
	// InsecureRegistries are registries (host[:port] or CIDR) reached
	// without TLS verification or over plain HTTP; loopback always is.
	InsecureRegistries []string `json:"insecure-registries,omitempty"`
	// MaxConcurrentDownloads and MaxConcurrentUploads bound the layers a
	// pull or push transfers at once (0: 3 and 5, as dockerd).
	MaxConcurrentDownloads int `json:"max-concurrent-downloads,omitempty"`
	MaxConcurrentUploads   int `json:"max-concurrent-uploads,omitempty"`
}

// DefaultInsecureRegistries are always insecure, as in dockerd: a private
// registry on the local host needs no certificate.
var DefaultInsecureRegistries = []string{"127.0.0.0/8", "::1/128"}

// CertsDirs are where per-registry certificates live:
// <dir>/<host[:port]>/ca.crt (dockerd's directory, then Berth's).
var CertsDirs = []string{"/etc/docker/certs.d", "/etc/berth/certs.d"}

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		DataRoot:       DefaultDataRoot,
		ExecRoot:       DefaultExecRoot,
		PidFile:        DefaultPidFile,
		LogLevel:       "info",
		DefaultRuntime: DefaultRuntimeName,
		Runtimes:       map[string]Runtime{},
		LogOpts:        map[string]string{},
	}
}

// LoadFile merges the JSON config file at path into c. A missing file is not
// an error unless required.
func (c *Config) LoadFile(path string, required bool) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if err := json.Unmarshal(b, c); err != nil {
		return fmt.Errorf("config file %s: %w: %w", path, errdefs.ErrInvalidArgument, err)
	}
	return nil
}

// AddRuntime parses a --add-runtime value "name=path".
func (c *Config) AddRuntime(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("invalid runtime %q, expected name=path: %w", v, errdefs.ErrInvalidArgument)
	}
	if c.Runtimes == nil {
		c.Runtimes = map[string]Runtime{}
	}
	c.Runtimes[name] = Runtime{Path: path}
	return nil
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if len(c.Hosts) == 0 {
		c.Hosts = []string{DefaultHost}
	}
	for _, p := range []*string{&c.DataRoot, &c.ExecRoot} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("path %q: %w", *p, errdefs.ErrInvalidArgument)
		}
		*p = abs
	}
	if c.LogOpts == nil {
		c.LogOpts = map[string]string{}
	}
	if _, ok := c.LogOpts["max-size"]; !ok {
		c.LogOpts["max-size"] = DefaultLogMaxSize
	}
	if _, ok := c.LogOpts["max-file"]; !ok {
		c.LogOpts["max-file"] = DefaultLogMaxFile
	}
	if _, _, err := ParseLogOpts(c.LogOpts); err != nil {
		return err
	}
	if c.MaxConcurrentDownloads < 0 || c.MaxConcurrentUploads < 0 {
		return fmt.Errorf("max-concurrent-downloads and max-concurrent-uploads must not be negative: %w", errdefs.ErrInvalidArgument)
	}
	if c.DefaultRuntime != DefaultRuntimeName {
		if _, ok := c.Runtimes[c.DefaultRuntime]; !ok && c.DefaultRuntime != "runc" {
			return fmt.Errorf("default runtime %q is not configured: %w", c.DefaultRuntime, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// ParseLogOpts reads json-file's max-size (bytes, with docker's units k, m,
// g) and max-file from log options. A max-size of "-1" means unlimited.
func ParseLogOpts(opts map[string]string) (maxSize int64, maxFile int, err error) {
	maxFile = 1
	if s, ok := opts["max-size"]; ok && s != "-1" {
		if maxSize, err = ParseSize(s); err != nil {
			return 0, 0, fmt.Errorf("log-opt max-size %q: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	if s, ok := opts["max-file"]; ok {
		if maxFile, err = strconv.Atoi(s); err != nil || maxFile < 1 {
			return 0, 0, fmt.Errorf("log-opt max-file %q must be a positive number: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	for k := range opts {
		switch k {
		case "max-size", "max-file", "compress", "labels", "env", "env-regex", "tag", "mode", "max-buffer-size":
		default:
			return 0, 0, fmt.Errorf("unknown log opt '%s' for json-file log driver: %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return maxSize, maxFile, nil
}

// ParseSize parses a size such as "20m", "512k", "1g" or "100" (bytes), with
// binary multiples as docker's go-units RAMInBytes.
func ParseSize(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	s = strings.TrimSuffix(s, "b")
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k':
			mult, s = 1<<10, s[:n-1]
		case 'm':
			mult, s = 1<<20, s[:n-1]
		case 'g':
			mult, s = 1<<30, s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size %q: %w", s, errdefs.ErrInvalidArgument)
	}
	return int64(f * float64(mult)), nil
}
