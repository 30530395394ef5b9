package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/registry/storage"
	"github.com/opencontainers/go-digest"
)

// childSpec tells a registry child process what to serve.
type childSpec struct {
	Config   Config `json:"config"`
	Listen   string `json:"listen"`
	AddrFile string `json:"addrFile"`
}

// TestMain doubles as a registry process for the crash and docker tests:
// with BERTH_REGISTRY_CHILD=<spec file> it serves the registry the spec
// describes, writes the address it listens on to spec.AddrFile and runs
// until SIGTERM (or SIGKILL).
func TestMain(m *testing.M) {
	if spec := os.Getenv("BERTH_REGISTRY_CHILD"); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

func runChild(specFile string) int {
	var spec childSpec
	b, err := os.ReadFile(specFile)
	if err == nil {
		err = json.Unmarshal(b, &spec)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	spec.Config.Log.NoAccessLog = true
	reg, err := New(ctx, spec.Config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", spec.Listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.WriteFile(spec.AddrFile+".tmp", []byte(ln.Addr().String()), 0o600)
	os.Rename(spec.AddrFile+".tmp", spec.AddrFile)
	if err := reg.Serve(ctx, ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startChild runs a registry child process (under the command prefix, e.g.
// "ip netns exec NAME") and returns it with the address it listens on.
func startChild(t *testing.T, cfg Config, listen string, prefix ...string) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	spec := childSpec{Config: cfg, Listen: listen, AddrFile: filepath.Join(dir, "addr")}
	b, _ := json.Marshal(spec)
	specFile := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(specFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{}, prefix...), os.Args[0], "-test.run=^$")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "BERTH_REGISTRY_CHILD="+specFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 1000 {
		if b, err := os.ReadFile(spec.AddrFile); err == nil {
			return cmd, string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("registry child did not start")
	return nil, ""
}

// verifyStoredBlobs hashes every blob file in the storage root: a blob
// path must never hold content that does not match its digest.
func verifyStoredBlobs(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(root, "blobs"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != "data" {
			return nil
		}
		enc := filepath.Base(filepath.Dir(p))
		f, err := os.Open(p)
		if err != nil {
			t.Error(err)
			return nil
		}
		defer f.Close()
		h := sha256.New()
		io.Copy(h, f)
		if hex.EncodeToString(h.Sum(nil)) != enc {
			t.Errorf("corrupt blob on disk: %s", p)
		}
		n++
		return nil
	})
	return n
}

// crashUpload is one client's chunked upload in the crash test.
type crashUpload struct {
	data  []byte
	loc   string      // upload URL path
	acked int         // bytes the registry confirmed
	done  bool        // 201 received
	fin   atomic.Bool // done, for the goroutine watching the uploads
	err   error       // why it stopped
}

// run uploads u.data in chunks until done or the registry dies.
func (u *crashUpload) run(ctx context.Context, c *client, name string, chunk int, progress *atomic.Int32) {
	resp, _, err := c.req(ctx, "POST", "/v2/"+name+"/blobs/uploads/", nil)
	if err != nil {
		u.err = err
		return
	}
	u.loc = resp.Header.Get("Location")
	for u.acked < len(u.data) {
		end := min(u.acked+chunk, len(u.data))
		resp, _, err := c.req(ctx, "PATCH", u.loc, u.data[u.acked:end], "Content-Range", fmt.Sprintf("%d-%d", u.acked, end-1))
		if err != nil || resp.StatusCode != 202 {
			u.err = fmt.Errorf("patch: %v %v", resp, err)
			return
		}
		u.acked = end
		if u.acked == chunk {
			progress.Add(1)
		}
		time.Sleep(time.Millisecond)
	}
	resp, _, err = c.req(ctx, "PUT", u.loc+"?digest="+digest.FromBytes(u.data).String(), nil)
	if err != nil || resp.StatusCode != 201 {
		u.err = fmt.Errorf("put: %v %v", resp, err)
		return
	}
	u.done = true
	u.fin.Store(true)
}

// TestKillDuringUploads kills the registry (SIGKILL) while 20 chunked
// uploads run, restarts it, and checks: no corrupt blob on disk or served,
// interrupted uploads resume from the offset the registry reports (and
// then verify) or fail cleanly, and garbage collection reclaims the
// abandoned ones.
func TestKillDuringUploads(t *testing.T) {
	root := t.TempDir()
	cfg := Config{Storage: StorageConfig{RootDir: root}}
	child, addr := startChild(t, cfg, "127.0.0.1:0")
	c := &client{base: "http://" + addr, http: &http.Client{Timeout: 30 * time.Second}, chunk: 32 << 10}
	uploads := make([]*crashUpload, 20)
	for i := range uploads {
		size := 8 << 20
		if i < 5 {
			size = 96 << 10 // these finish before the kill
		}
		uploads[i] = &crashUpload{data: randomBytes(size + i)}
	}
	var started atomic.Int32
	var wg sync.WaitGroup
	for _, u := range uploads {
		wg.Go(func() { u.run(t.Context(), c, "crash/test", c.chunk, &started) })
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		done := 0
		for _, u := range uploads[:5] {
			if u.fin.Load() {
				done++
			}
		}
		if done == 5 && started.Load() == 20 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	wg.Wait()
	interrupted := 0
	for _, u := range uploads {
		if !u.done {
			interrupted++
		}
	}
	if interrupted < 10 {
		t.Fatalf("only %d uploads were interrupted; the kill came too late", interrupted)
	}
	t.Logf("killed the registry with %d uploads finished and %d interrupted", 20-interrupted, interrupted)
	verifyStoredBlobs(t, root)

	child, addr = startChild(t, cfg, "127.0.0.1:0")
	c.base = "http://" + addr
	abandoned := recoverUploads(t, c, uploads)
	for _, u := range uploads {
		d := digest.FromBytes(u.data)
		if u.done {
			if err := c.pullVerified(t.Context(), "crash/test", d); err != nil {
				t.Error(err)
			}
		}
	}
	verifyStoredBlobs(t, root)
	child.Process.Signal(syscall.SIGTERM) // GC needs the storage lock
	child.Wait()
	checkGCReclaims(t, root, uploads, abandoned)
}

// recoverUploads handles the interrupted uploads after the restart, three
// ways in turn: resume from the registry's offset, finish without the rest
// (must fail cleanly with DIGEST_INVALID), or abandon. It returns how many
// were abandoned.
func recoverUploads(t *testing.T, c *client, uploads []*crashUpload) int {
	ctx := t.Context()
	abandoned, k := 0, 0
	for _, u := range uploads {
		if u.done || u.loc == "" {
			continue
		}
		d := digest.FromBytes(u.data)
		resp, _, err := c.req(ctx, "GET", u.loc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 404 { // killed while committing: done or gone, never half
			if r, _, _ := c.req(ctx, "HEAD", "/v2/crash/test/blobs/"+d.String(), nil); r != nil && r.StatusCode == 200 {
				u.done = true
			}
			continue
		}
		rng := resp.Header.Get("Range")
		last, err := strconv.Atoi(strings.TrimPrefix(rng, "0-"))
		if resp.StatusCode != 204 || err != nil {
			t.Fatalf("status of an interrupted upload: %v %q", resp.Status, rng)
		}
		have := last + 1
		if have == 1 && u.acked == 0 {
			have = 0
		}
		if have < u.acked || have > len(u.data) {
			t.Fatalf("registry reports %d bytes, client had %d acknowledged of %d", have, u.acked, len(u.data))
		}
		switch k % 3 {
		case 0: // resume where the registry says it is
			resp, b, err := c.req(ctx, "PUT", u.loc+"?digest="+d.String(), u.data[have:], "Content-Range", fmt.Sprintf("%d-%d", have, len(u.data)-1))
			if err != nil || resp.StatusCode != 201 {
				t.Fatalf("resume at %d: %v %s %v", have, resp, b, err)
			}
			u.done = true
		case 1: // give up: the digest cannot match, and the upload is removed
			resp, b, _ := c.req(ctx, "PUT", u.loc+"?digest="+d.String(), nil)
			if resp.StatusCode != 400 || !bytes.Contains(b, []byte("DIGEST_INVALID")) {
				t.Fatalf("finishing a partial upload: %v %s", resp, b)
			}
			if r, _, _ := c.req(ctx, "GET", u.loc, nil); r.StatusCode != 404 {
				t.Fatalf("failed upload not removed: %v", r.Status)
			}
			if r, _, _ := c.req(ctx, "HEAD", "/v2/crash/test/blobs/"+d.String(), nil); r.StatusCode != 404 {
				t.Fatalf("failed upload became a blob: %v", r.Status)
			}
		case 2:
			abandoned++
		}
		k++
	}
	return abandoned
}

// checkGCReclaims runs garbage collection on the storage with the registry
// stopped and checks the abandoned uploads and temp files are gone while
// every finished blob still verifies.
func checkGCReclaims(t *testing.T, root string, uploads []*crashUpload, abandoned int) {
	t.Helper()
	ctx := t.Context()
	reg, err := New(ctx, Config{Storage: StorageConfig{RootDir: root}, Log: LogConfig{NoAccessLog: true}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	c := &client{base: srv.URL, http: srv.Client(), chunk: 1 << 20}
	// a manifest keeps the finished blobs alive through GC
	var layers [][]byte
	for _, u := range uploads {
		if u.done {
			layers = append(layers, u.data)
		}
	}
	if _, err := c.pushImage(ctx, "crash/test", "keep", []byte(`{"os":"linux"}`), layers); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	rep, err := reg.GarbageCollect(ctx, storage.GCOptions{UploadMaxAge: 0})
	if err != nil {
		t.Fatal(err)
	}
	if rep.UploadsDeleted < abandoned {
		t.Fatalf("GC removed %d uploads, %d were abandoned: %+v", rep.UploadsDeleted, abandoned, rep)
	}
	if n := countFiles(t, filepath.Join(root, "repositories"), "data"); n != 0 {
		t.Fatalf("%d upload data files survived GC", n)
	}
	if n := countFiles(t, filepath.Join(root, ".tmp"), ""); n != 0 {
		t.Fatalf("%d temp files survived GC", n)
	}
	if n := verifyStoredBlobs(t, root); n != len(layers)+2 {
		t.Fatalf("%d blobs after GC, want %d layers + config + manifest", n, len(layers))
	}
	t.Logf("GC: %+v", rep)
}
