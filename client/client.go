package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
)

// DefaultHost is where berthd listens unless told otherwise.
const DefaultHost = "unix:///run/berth/berth.sock"

// Client talks to one daemon. It is safe for concurrent use; idle
// connections are kept and reused between requests.
type Client struct {
	host    string // as given, for messages
	network string // "unix" or "tcp"
	addr    string // socket path or host:port
	scheme  string // "http" or "https"
	tls     *tls.Config
	agent   string

	httpc *http.Client

	mu         sync.Mutex
	version    string // API version used in paths; "" until negotiated
	negotiated bool
	lastPing   *Ping
}

// Option configures a Client.
type Option func(*Client) error

// WithVersion pins the API version: no /_ping negotiation happens.
func WithVersion(v string) Option {
	return func(c *Client) error {
		if v == "" {
			return nil
		}
		c.version = strings.TrimPrefix(v, "v")
		c.negotiated = true
		return nil
	}
}

// WithTLSConfig makes a tcp client speak https with cfg.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *Client) error {
		c.tls = cfg
		return nil
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.agent = ua
		return nil
	}
}

// New returns a client for host ("unix:///path", "tcp://h:p", "http(s)://h:p";
// "" means DefaultHost).
func New(host string, opts ...Option) (*Client, error) {
	if host == "" {
		host = DefaultHost
	}
	network, addr, err := ParseHost(host)
	if err != nil {
		return nil, err
	}
	c := &Client{host: host, network: network, addr: addr, scheme: "http", agent: "berth-client"}
	if strings.HasPrefix(host, "https://") {
		c.scheme = "https"
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.tls != nil {
		c.scheme = "https"
	}
	c.httpc = &http.Client{Transport: c.newTransport()}
	return c, nil
}

// ParseHost splits a daemon address into a network ("unix" or "tcp") and an
// address.
func ParseHost(host string) (network, addr string, err error) {
	proto, rest, ok := strings.Cut(host, "://")
	if !ok {
		if strings.HasPrefix(host, "/") {
			return "unix", host, nil
		}
		proto, rest = "tcp", host
	}
	switch proto {
	case "unix":
		if rest == "" {
			return "", "", fmt.Errorf("invalid host %q: empty socket path: %w", host, errdefs.ErrInvalidArgument)
		}
		return "unix", rest, nil
	case "tcp", "http", "https":
		rest, _, _ = strings.Cut(rest, "/")
		if rest == "" {
			return "", "", fmt.Errorf("invalid host %q: empty address: %w", host, errdefs.ErrInvalidArgument)
		}
		if _, _, err := net.SplitHostPort(rest); err != nil {
			rest = net.JoinHostPort(rest, "2375")
		}
		if strings.HasPrefix(rest, ":") {
			rest = "127.0.0.1" + rest
		}
		return "tcp", rest, nil
	}
	return "", "", fmt.Errorf("invalid host %q: unsupported protocol %q: %w", host, proto, errdefs.ErrInvalidArgument)
}

func (c *Client) newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         c.dial,
		TLSClientConfig:     c.tls,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
}

func (c *Client) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return nil, &ConnectError{Host: c.host, Cause: err}
	}
	return conn, nil
}

// dialRaw opens a new connection for a hijacked request, wrapped in TLS when
// the client uses https.
func (c *Client) dialRaw(ctx context.Context) (net.Conn, error) {
	conn, err := c.dial(ctx, "", "")
	if err != nil || c.tls == nil {
		return conn, err
	}
	cfg := c.tls.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(c.addr)
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, &ConnectError{Host: c.host, Cause: err}
	}
	return tc, nil
}

// Host returns the daemon address the client was made for.
func (c *Client) Host() string { return c.host }

// Close drops the idle connections.
func (c *Client) Close() error {
	c.httpc.CloseIdleConnections()
	return nil
}

// ClientVersion returns the API version in use: the pinned or negotiated
// one, or api.MaxVersion before negotiation.
func (c *Client) ClientVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == "" {
		return api.MaxVersion
	}
	return c.version
}

// APIVersion negotiates if needed and returns the API version in use.
func (c *Client) APIVersion(ctx context.Context) (string, error) {
	if err := c.negotiate(ctx); err != nil {
		return "", err
	}
	return c.ClientVersion(), nil
}

// urlFor builds the request URL of an API path, prefixed with /vX.Y.
func (c *Client) urlFor(path string, query url.Values) string {
	host := "berth"
	if c.network == "tcp" {
		host = c.addr
	}
	u := c.scheme + "://" + host
	if v := c.ClientVersion(); v != "" && path != "/_ping" {
		u += "/v" + v
	}
	u += path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}
