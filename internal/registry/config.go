package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// Config is berth-registry's configuration. The zero value plus a storage
// root is a working registry: no auth, plain HTTP, deletes allowed.
// berth-registry reads it from a JSON file (LoadConfig) and lets flags
// override the common settings; berthd fills it in directly.
type Config struct {
	// Addr is the address to listen on ("127.0.0.1:5000").
	Addr    string        `json:"addr,omitempty"`
	Storage StorageConfig `json:"storage"`
	TLS     TLSConfig     `json:"tls,omitzero"`
	Auth    AuthConfig    `json:"auth,omitzero"`
	Log     LogConfig     `json:"log,omitzero"`
	// MetricsAddr, when set, serves Prometheus metrics at /metrics (and
	// /debug/health) on a separate listener.
	MetricsAddr string `json:"metricsAddr,omitempty"`
	// ReadOnly refuses every write with 405 UNSUPPORTED.
	ReadOnly bool `json:"readOnly,omitempty"`
	// NoDelete refuses DELETE of manifests, tags and blobs.
	NoDelete bool `json:"noDelete,omitempty"`
	// NoAnonymousMount disables mounts without a "from" repository (which
	// link any blob the registry holds, given its digest). They are always
	// off with an external token issuer (auth.token.publicKeys), whose
	// per-repository grants such a mount could bypass.
	NoAnonymousMount bool `json:"noAnonymousMount,omitempty"`
	// MaxManifestSize bounds manifests (default 4 MiB); larger ones get
	// 413 SIZE_INVALID.
	MaxManifestSize int64 `json:"maxManifestSize,omitempty"`
	// UploadMaxAge is how long an idle upload lives (default 24h); the
	// registry purges older ones every UploadPurgeInterval (default 1h).
	UploadMaxAge        Duration `json:"uploadMaxAge,omitempty"`
	UploadPurgeInterval Duration `json:"uploadPurgeInterval,omitempty"`
}

// StorageConfig chooses the storage driver.
type StorageConfig struct {
	// Driver is "filesystem" (default) or "inmemory".
	Driver string `json:"driver,omitempty"`
	// RootDir is the filesystem driver's root directory.
	RootDir string `json:"rootDir,omitempty"`
	// NoSync turns off the filesystem driver's fsyncs (see
	// filesystem.Options.NoSync).
	NoSync bool `json:"noSync,omitempty"`
}

// TLSConfig serves HTTPS from a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
}

// AuthConfig chooses authentication: none (both nil), htpasswd basic auth,
// or bearer tokens (the Docker token flow).
type AuthConfig struct {
	Htpasswd *HtpasswdConfig `json:"htpasswd,omitempty"`
	Token    *TokenConfig    `json:"token,omitempty"`
}

// HtpasswdConfig is basic auth against an htpasswd file of bcrypt hashes
// (htpasswd -B). The file is re-read when it changes.
type HtpasswdConfig struct {
	Realm string `json:"realm,omitempty"`
	Path  string `json:"path"`
}

// TokenConfig is bearer-token auth: clients get a JWT from Realm and the
// registry checks its signature (against PublicKeys, and the built-in
// issuer's key), issuer, audience (Service), expiry and granted access.
type TokenConfig struct {
	// Realm is the token endpoint announced to clients. With the built-in
	// issuer it defaults to <scheme>://<host of the request>/auth/token.
	Realm   string `json:"realm,omitempty"`
	Service string `json:"service"`
	Issuer  string `json:"issuer"`
	// PublicKeys are PEM files of certificates or public keys trusted to
	// sign tokens (an external token server).
	PublicKeys []string `json:"publicKeys,omitempty"`
	// Issue enables the built-in token issuer at /auth/token.
	Issue *IssueConfig `json:"issue,omitempty"`
}

// IssueConfig is the built-in token issuer: it authenticates users against
// an htpasswd file and grants them the access they ask for.
type IssueConfig struct {
	Htpasswd string `json:"htpasswd"`
	// SigningKey is a PEM EC (P-256) private key; without it a key is
	// generated at start (tokens then die with the process).
	SigningKey string   `json:"signingKey,omitempty"`
	Expiry     Duration `json:"expiry,omitempty"` // default 5m
}

// LogConfig tunes logging.
type LogConfig struct {
	// Level is debug, info (default), warn or error.
	Level string `json:"level,omitempty"`
	// Format is text (default) or json.
	Format string `json:"format,omitempty"`
	// NoAccessLog turns off the per-request access log.
	NoAccessLog bool `json:"noAccessLog,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("24h").
type Duration time.Duration

// UnmarshalJSON accepts "1h30m" strings and integer nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration %s: %w", b, errdefs.ErrInvalidArgument)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, errdefs.ErrInvalidArgument)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadConfig reads a JSON configuration file. Unknown fields are errors, so
// a misspelt setting does not silently fall back to its default.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return c, nil
}

// withDefaults fills in unset settings.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:5000"
	}
	if c.Storage.Driver == "" {
		c.Storage.Driver = "filesystem"
	}
	if c.UploadMaxAge == 0 {
		c.UploadMaxAge = Duration(24 * time.Hour)
	}
	if c.UploadPurgeInterval == 0 {
		c.UploadPurgeInterval = Duration(time.Hour)
	}
	if c.Auth.Token != nil && c.Auth.Token.Issue != nil && c.Auth.Token.Issue.Expiry == 0 {
		c.Auth.Token.Issue.Expiry = Duration(5 * time.Minute)
	}
	if c.Auth.Token != nil && len(c.Auth.Token.PublicKeys) > 0 {
		c.NoAnonymousMount = true
	}
	return c
}

// Validate checks a configuration for settings that cannot work.
func (c Config) Validate() error {
	var problems []string
	switch c.Storage.Driver {
	case "", "filesystem":
		if c.Storage.RootDir == "" {
			problems = append(problems, "storage.rootDir is required with the filesystem driver")
		}
	case "inmemory":
	default:
		problems = append(problems, fmt.Sprintf("unknown storage driver %q", c.Storage.Driver))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		problems = append(problems, "tls needs both certFile and keyFile")
	}
	if c.Auth.Htpasswd != nil && c.Auth.Token != nil {
		problems = append(problems, "choose one of auth.htpasswd and auth.token")
	}
	if c.Auth.Htpasswd != nil && c.Auth.Htpasswd.Path == "" {
		problems = append(problems, "auth.htpasswd.path is required")
	}
	if t := c.Auth.Token; t != nil {
		if t.Service == "" || t.Issuer == "" {
			problems = append(problems, "auth.token needs service and issuer")
		}
		if len(t.PublicKeys) == 0 && t.Issue == nil {
			problems = append(problems, "auth.token needs publicKeys or the built-in issuer (issue)")
		}
		if t.Issue != nil && t.Issue.Htpasswd == "" {
			problems = append(problems, "auth.token.issue.htpasswd is required")
		}
		if t.Realm == "" && t.Issue == nil {
			problems = append(problems, "auth.token.realm is required with an external issuer")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("registry config: %s: %w", strings.Join(problems, "; "), errdefs.ErrInvalidArgument)
	}
	return nil
}
