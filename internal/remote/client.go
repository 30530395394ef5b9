package remote

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// Docker Hub's names.
const (
	// DockerHub is the domain references use for Docker Hub.
	DockerHub = "docker.io"
	// dockerHubAPI is the host serving Docker Hub's registry API.
	dockerHubAPI = "registry-1.docker.io"
	// dockerHubIndex is the host of Docker Hub's v1 search API.
	dockerHubIndex = "index.docker.io"
	// DockerHubServer is the key `docker login` stores Docker Hub
	// credentials under in config.json.
	DockerHubServer = "https://index.docker.io/v1/"
)

// Options configure a Client.
type Options struct {
	// Mirrors are Docker Hub pull-through mirrors ("https://mirror.example/"
	// or "http://127.0.0.1:5000"), tried in order before Docker Hub when
	// pulling docker.io images.
	Mirrors []string
	// Insecure lists registries ("host", "host:port") and CIDRs
	// ("10.0.0.0/8") that are reached over HTTPS without certificate
	// verification, falling back to plain HTTP. dockerd adds loopback
	// (127.0.0.0/8, ::1/128); so does berthd's configuration, not this
	// package.
	Insecure []string
	// CertsDirs hold per-registry TLS material, as /etc/docker/certs.d:
	// <dir>/<host[:port]>/*.crt are extra CAs, *.cert with *.key client
	// certificates. Every directory is read, in order.
	CertsDirs []string
	// UserAgent is sent with every request.
	UserAgent string
	// MaxAttempts bounds the tries of a request that fails transiently
	// (connection errors, 429, 5xx); default 5.
	MaxAttempts int
	// Backoff is the wait before the second try, doubled for each further
	// one up to 10 times it; default 500ms.
	Backoff time.Duration
}

// Client talks to registries. It is safe for concurrent use; it keeps no
// connection between operations (each Endpoints call builds its
// transports, so certs.d changes apply at once, as in dockerd).
type Client struct {
	opts          Options
	mirrors       []*url.URL
	insecureCIDRs []netip.Prefix
	insecureHosts map[string]bool
	retry         retryPolicy
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	c := &Client{opts: opts, insecureHosts: map[string]bool{}}
	for _, m := range opts.Mirrors {
		u, err := ValidateMirror(m)
		if err != nil {
			return nil, err
		}
		c.mirrors = append(c.mirrors, u)
	}
	for _, r := range opts.Insecure {
		if err := c.addInsecure(r); err != nil {
			return nil, err
		}
	}
	c.retry = retryPolicy{attempts: opts.MaxAttempts, base: opts.Backoff}
	if c.retry.attempts <= 0 {
		c.retry.attempts = 5
	}
	if c.retry.base <= 0 {
		c.retry.base = 500 * time.Millisecond
	}
	return c, nil
}

// ValidateMirror checks a --registry-mirror value as dockerd does: an http
// or https URL without query, fragment or credentials.
func ValidateMirror(mirror string) (*url.URL, error) {
	if scheme, _, ok := strings.Cut(mirror, "://"); !ok || scheme == "" {
		return nil, fmt.Errorf("invalid mirror: no scheme specified for %q: must use either 'https://' or 'http://': %w", mirror, errdefs.ErrInvalidArgument)
	}
	u, err := url.Parse(mirror)
	if err != nil {
		return nil, fmt.Errorf("invalid mirror: %q is not a valid URI: %w", mirror, errdefs.ErrInvalidArgument)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("invalid mirror: unsupported scheme %q in %q: must use either 'https://' or 'http://': %w", u.Scheme, mirror, errdefs.ErrInvalidArgument)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("invalid mirror: query or fragment at end of the URI %q: %w", mirror, errdefs.ErrInvalidArgument)
	case u.User != nil:
		return nil, fmt.Errorf("invalid mirror: username/password not allowed in URI %q: %w", u.Redacted(), errdefs.ErrInvalidArgument)
	case u.Host == "":
		return nil, fmt.Errorf("invalid mirror: no host in %q: %w", mirror, errdefs.ErrInvalidArgument)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	return u, nil
}

// addInsecure records an --insecure-registry value: a CIDR or a
// host[:port] (a leading http:// or https:// is dropped, as dockerd does).
func (c *Client) addInsecure(r string) error {
	if scheme, host, ok := strings.Cut(r, "://"); ok {
		if s := strings.ToLower(scheme); s != "http" && s != "https" {
			return fmt.Errorf("insecure registry %s should not contain '://': %w", r, errdefs.ErrInvalidArgument)
		}
		r = host
	}
	if p, err := netip.ParsePrefix(r); err == nil {
		c.insecureCIDRs = append(c.insecureCIDRs, p.Masked())
		return nil
	}
	if r == "" || strings.HasPrefix(r, "-") || strings.HasSuffix(r, "-") || strings.ContainsAny(r, "/ ") {
		return fmt.Errorf("insecure registry %q is not valid: %w", r, errdefs.ErrInvalidArgument)
	}
	c.insecureHosts[r] = true
	return nil
}

// Insecure reports whether the registry at host (host[:port]) is reached
// without certificate verification: it is listed, or one of its addresses
// is in an insecure CIDR. Docker Hub is always secure.
func (c *Client) Insecure(host string) bool {
	if host == DockerHub || host == dockerHubAPI || host == dockerHubIndex {
		return false
	}
	if c.insecureHosts[host] {
		return true
	}
	if len(c.insecureCIDRs) == 0 {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		addrs = append(addrs, a)
	} else if ips, err := net.LookupIP(name); err == nil {
		for _, ip := range ips {
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a)
			}
		}
	}
	for _, a := range addrs {
		for _, p := range c.insecureCIDRs {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
	}
	return false
}
