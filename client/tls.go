package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig builds a client TLS configuration from PEM files: the CA that
// signs the daemon's certificate (used when verify is set) and the client
// certificate and key (used when both files exist).
func TLSConfig(caFile, certFile, keyFile string, verify bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !verify} //nolint:gosec // --tls without --tlsverify is docker's documented insecure mode
	if verify {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("could not read CA certificate %q: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("failed to append certificates from PEM file: %q", caFile)
		}
		cfg.RootCAs = pool
	}
	if _, err := os.Stat(certFile); err == nil {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("could not load X509 key pair: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
