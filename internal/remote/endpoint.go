package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// Endpoint is one base URL that serves a registry's API.
type Endpoint struct {
	// URL is the base: "https://registry-1.docker.io/",
	// "http://127.0.0.1:5000/" or a mirror's URL (which may have a path).
	URL *url.URL
	// Mirror is set for Docker Hub mirrors.
	Mirror bool
	// Host is the registry as references name it ("docker.io",
	// "localhost:5000"): credentials and certs.d entries are keyed by it.
	Host string

	client *http.Client
}

// String is the endpoint's URL.
func (e Endpoint) String() string { return e.URL.String() }

// Close releases the endpoint's idle connections; call it when the
// operation that asked for the endpoints is over.
func (e Endpoint) Close() {
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
}

// CloseAll closes every endpoint of eps.
func CloseAll(eps []Endpoint) {
	for _, ep := range eps {
		ep.Close()
	}
}

// Endpoints returns the base URLs to try, in order, for the registry
// domain of a reference ("docker.io", "localhost:5000"): for Docker Hub the
// mirrors (when pulling) then registry-1.docker.io; for an insecure
// registry HTTPS without verification then plain HTTP; otherwise HTTPS,
// trusting the system CAs plus the host's certs.d CAs.
func (c *Client) Endpoints(ctx context.Context, domain string, pull bool) ([]Endpoint, error) {
	if domain == DockerHub || domain == dockerHubIndex {
		var eps []Endpoint
		if pull {
			for _, m := range c.mirrors {
				ep, err := c.endpoint(ctx, m, DockerHub, c.Insecure(m.Host))
				if err != nil {
					return nil, err
				}
				ep.Mirror = true
				eps = append(eps, ep)
			}
		}
		ep, err := c.endpoint(ctx, &url.URL{Scheme: "https", Host: dockerHubAPI, Path: "/"}, DockerHub, false)
		if err != nil {
			return nil, err
		}
		return append(eps, ep), nil
	}
	insecure := c.Insecure(domain)
	ep, err := c.endpoint(ctx, &url.URL{Scheme: "https", Host: domain, Path: "/"}, domain, insecure)
	if err != nil {
		return nil, err
	}
	eps := []Endpoint{ep}
	if insecure {
		plain := ep
		plain.URL = &url.URL{Scheme: "http", Host: domain, Path: "/"}
		eps = append(eps, plain)
	}
	return eps, nil
}

// endpoint builds the HTTP client for one base URL.
func (c *Client) endpoint(ctx context.Context, u *url.URL, host string, insecure bool) (Endpoint, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // insecure registries, as configured
	if !insecure {
		if err := c.loadCerts(ctx, u.Host, cfg); err != nil {
			return Endpoint{}, err
		}
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     cfg,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
		// Blobs are hashed as sent: never let the transport decompress.
		DisableCompression: true,
		ReadBufferSize:     64 << 10,
		WriteBufferSize:    64 << 10,
	}
	return Endpoint{URL: u, Host: host, client: &http.Client{Transport: tr}}, nil
}

// loadCerts adds the certs.d material for host (host[:port]) to cfg, as
// dockerd's loadTLSConfig does: *.crt are CAs added to the system pool,
// *.cert/*.key pairs are client certificates.
func (c *Client) loadCerts(ctx context.Context, host string, cfg *tls.Config) error {
	for _, root := range c.opts.CertsDirs {
		dir := filepath.Join(root, host)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("certificates for %s: %w", host, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := addCerts(dir, entries, cfg); err != nil {
			return err
		}
	}
	return nil
}

func addCerts(dir string, entries []os.DirEntry, cfg *tls.Config) error {
	has := map[string]bool{}
	for _, e := range entries {
		has[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		switch filepath.Ext(name) {
		case ".crt":
			if cfg.RootCAs == nil {
				pool, err := x509.SystemCertPool()
				if err != nil {
					pool = x509.NewCertPool()
				}
				cfg.RootCAs = pool
			}
			pem, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			cfg.RootCAs.AppendCertsFromPEM(pem)
		case ".cert":
			key := strings.TrimSuffix(name, ".cert") + ".key"
			if !has[key] {
				return fmt.Errorf("missing key %s for client certificate %s. CA certificates must use the extension .crt: %w", key, name, errdefs.ErrInvalidArgument)
			}
			cert, err := tls.LoadX509KeyPair(filepath.Join(dir, name), filepath.Join(dir, key))
			if err != nil {
				return fmt.Errorf("client certificate %s: %v: %w", name, err, errdefs.ErrInvalidArgument)
			}
			cfg.Certificates = append(cfg.Certificates, cert)
		case ".key":
			if cert := strings.TrimSuffix(name, ".key") + ".cert"; !has[cert] {
				return fmt.Errorf("missing client certificate %s for key %s: %w", cert, name, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
}
