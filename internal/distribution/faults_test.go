package distribution

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/remote"
	"github.com/berthproject/berth/internal/testutil"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
)

// TestPullRegistryKilled kills the registry in the middle of a layer
// download: the pull fails cleanly, leaves nothing, and succeeds once the
// registry is back.
func TestPullRegistryKilled(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	pushImage(t, e.client, reg.Addr+"/test/big", "v1", "amd64", "gzip", layerTar(t, "small", 1000), layerTar(t, "big", 8<<20))
	ref, _ := reference.ParseNormalizedNamed(testutil.SlowProxy(t, reg.Addr, 4<<20) + "/test/big:v1")
	midway := make(chan struct{})
	var once sync.Once
	progress := func(m jsonstream.Message) {
		if m.Status == "Downloading" && m.Progress != nil && m.Progress.Current > 1<<20 {
			once.Do(func() { close(midway) })
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.svc.Pull(t.Context(), ref, PullOptions{}, progress)
		done <- err
	}()
	select {
	case <-midway:
	case err := <-done:
		t.Fatalf("pull ended before the registry was killed: %v", err)
	}
	reg.Stop()
	err := <-done
	if !errdefs.IsUnavailable(err) || errors.Is(err, remote.ErrDigestMismatch) {
		t.Fatalf("pull with the registry gone: %v", err)
	}
	t.Logf("pull error: %v", err)
	if left := e.leftovers(); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	reg.Start()
	if _, err := e.svc.Pull(t.Context(), ref, PullOptions{}, nil); err != nil {
		t.Fatalf("pull after the registry came back: %v", err)
	}
}

// TestPullTLSAuth pulls from a TLS registry with htpasswd auth whose CA is
// trusted through a certs.d directory only.
func TestPullTLSAuth(t *testing.T) {
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{TLS: true, Users: map[string]string{"alice": "wonderland"}})
	certs := t.TempDir()
	secure := remote.Options{CertsDirs: []string{certs}, Backoff: 10 * time.Millisecond, MaxAttempts: 2}
	e := newEnv(t, secure)
	ref := reg.Addr + "/test/private:v1"

	_, err := e.pull(ref, PullOptions{})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("untrusted CA: %v", err)
	}
	os.MkdirAll(filepath.Join(certs, reg.Addr), 0o755)
	os.WriteFile(filepath.Join(certs, reg.Addr, "ca.crt"), reg.CA, 0o644)

	pusher := newEnv(t, secure)
	img := pushImage(t, pusher.client, reg.Addr+"/test/private", "v1", "amd64", "gzip", layerTar(t, "p", 1000))
	if _, err := e.pull(ref, PullOptions{}); !errdefs.IsUnauthorized(err) || !strings.Contains(err.Error(), "no basic auth credentials") {
		t.Fatalf("anonymous: %v", err)
	}
	if _, err := e.pull(ref, PullOptions{Auth: remote.Credentials{Username: "alice", Password: "nope"}}); !errdefs.IsUnauthorized(err) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := e.svc.Login(t.Context(), reg.Addr, remote.Credentials{Username: "alice", Password: "nope"}); !errdefs.IsUnauthorized(err) ||
		err.Error() != "login attempt to https://"+reg.Addr+"/v2/ failed with status: 401 Unauthorized" {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if _, err := e.svc.Login(t.Context(), reg.Addr, remote.Credentials{Username: "alice", Password: "wonderland"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := e.pull(ref, PullOptions{Auth: remote.Credentials{Username: "alice", Password: "wonderland"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.images.Get(t.Context(), ref); err != nil || got.ID != img.configID {
		t.Fatalf("image: %v %+v", err, got)
	}
}

// TestPullCancelled: a client that goes away in the middle of a pull ends
// it with nothing left behind.
func TestPullCancelled(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	pushImage(t, e.client, reg.Addr+"/test/big", "v1", "amd64", "gzip", layerTar(t, "big", 8<<20), layerTar(t, "small", 1000))
	ref, _ := reference.ParseNormalizedNamed(testutil.SlowProxy(t, reg.Addr, 4<<20) + "/test/big:v1")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	_, err := e.svc.Pull(ctx, ref, PullOptions{}, func(m jsonstream.Message) {
		if m.Status == "Downloading" && m.Progress != nil && m.Progress.Current > 1<<20 {
			once.Do(cancel)
		}
	})
	if !errdefs.IsCanceled(err) {
		t.Fatalf("cancelled pull: %v", err)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}
