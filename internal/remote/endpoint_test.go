package remote

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestEndpoints(t *testing.T) {
	c, err := New(Options{Mirrors: []string{"http://127.0.0.1:5001", "https://mirror.example/prefix"},
		Insecure: []string{"10.0.0.0/8", "insecure.example:5000", "http://legacy.example"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		domain string
		pull   bool
		want   string
	}{
		{"docker.io", true, "http://127.0.0.1:5001/ mirror, https://mirror.example/prefix/ mirror, https://registry-1.docker.io/"},
		{"docker.io", false, "https://registry-1.docker.io/"},
		{"secure.example", true, "https://secure.example/"},
		{"insecure.example:5000", true, "https://insecure.example:5000/, http://insecure.example:5000/"},
		{"legacy.example", true, "https://legacy.example/, http://legacy.example/"},
		{"10.1.2.3:5000", false, "https://10.1.2.3:5000/, http://10.1.2.3:5000/"},
		{"127.0.0.1:5000", false, "https://127.0.0.1:5000/"}, // loopback is the daemon's default, not the client's
	}
	for _, tt := range tests {
		eps, err := c.Endpoints(t.Context(), tt.domain, tt.pull)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ep := range eps {
			s := ep.String()
			if ep.Mirror {
				s += " mirror"
			}
			got = append(got, s)
		}
		if strings.Join(got, ", ") != tt.want {
			t.Errorf("%s (pull %v): %s, want %s", tt.domain, tt.pull, strings.Join(got, ", "), tt.want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Mirrors: []string{"mirror.example"}}, {Mirrors: []string{"ftp://mirror.example"}},
		{Mirrors: []string{"https://u:p@mirror.example"}}, {Mirrors: []string{"https://mirror.example/?q=1"}},
		{Insecure: []string{"ftp://x"}}, {Insecure: []string{"-bad"}},
	} {
		if _, err := New(o); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%+v: %v, want invalid argument", o, err)
		}
	}
}

// TestCertsDir talks to a TLS registry whose CA is only trusted through a
// certs.d directory: without it the certificate is refused (and that is
// not retried), with it the request succeeds.
func TestCertsDir(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
			w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	ref, _ := reference.ParseNormalizedNamed(host + "/app")
	certs := t.TempDir()
	open := func() error {
		c, err := New(Options{CertsDirs: []string{filepath.Join(certs, "none"), certs}})
		if err != nil {
			t.Fatal(err)
		}
		eps, err := c.Endpoints(t.Context(), host, true)
		if err != nil {
			return err
		}
		if len(eps) != 1 {
			t.Fatalf("endpoints %v", eps)
		}
		r, err := c.Open(t.Context(), eps[0], ref, Credentials{}, false)
		if err != nil {
			return err
		}
		_, _, err = r.Manifest(t.Context(), "v1")
		return err
	}
	var unknown x509.UnknownAuthorityError
	if err := open(); !errors.As(err, &unknown) || Transient(err) {
		t.Fatalf("untrusted CA: %v", err)
	}
	dir := filepath.Join(certs, host)
	os.MkdirAll(dir, 0o755)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := open(); err != nil {
		t.Fatalf("CA in certs.d: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "client.cert"), ca, 0o644)
	if err := open(); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "missing key client.key") {
		t.Fatalf("client cert without key: %v", err)
	}
}

func TestPickPlatform(t *testing.T) {
	idx := ocispec.Index{Manifests: []ocispec.Descriptor{
		{Digest: "sha256:amd64", Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}},
		{Digest: "sha256:armv6", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{Digest: "sha256:armv7", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{Digest: "sha256:arm64", Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{Digest: "sha256:attest", Platform: &ocispec.Platform{OS: "unknown", Architecture: "unknown"}},
	}}
	tests := []struct {
		want ocispec.Platform
		got  string
	}{
		{ocispec.Platform{OS: "linux", Architecture: "amd64"}, "sha256:amd64"},
		{ocispec.Platform{OS: "linux", Architecture: "x86_64"}, "sha256:amd64"},
		{ocispec.Platform{OS: "linux", Architecture: "arm64"}, "sha256:arm64"},
		{ocispec.Platform{OS: "linux", Architecture: "aarch64"}, "sha256:arm64"},
		{ocispec.Platform{OS: "linux", Architecture: "arm"}, "sha256:armv7"},
		{ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, "sha256:armv6"},
		{ocispec.Platform{OS: "linux", Architecture: "s390x"}, "no matching manifest for linux/s390x in the manifest list entries"},
		{ocispec.Platform{OS: "windows", Architecture: "amd64"}, "no matching manifest for windows/amd64 in the manifest list entries"},
	}
	for _, tt := range tests {
		d, err := PickPlatform(idx, tt.want)
		got := string(d.Digest)
		if err != nil {
			got = err.Error()
			if !errdefs.IsNotFound(err) {
				t.Errorf("%v: %v is not NotFound", tt.want, err)
			}
		}
		if got != tt.got {
			t.Errorf("%v: got %s, want %s", tt.want, got, tt.got)
		}
	}
}
