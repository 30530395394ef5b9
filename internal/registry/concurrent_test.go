package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// client is a minimal push/pull client speaking the distribution API the
// way docker does: HEAD a blob, upload it in chunks if missing, then put
// the manifest; pulls verify every byte against its digest.
type client struct {
	base  string
	http  *http.Client
	chunk int
}

func (c *client) req(ctx context.Context, method, url string, body []byte, hdr ...string) (*http.Response, []byte, error) {
	if !strings.HasPrefix(url, "http") {
		url = c.base + url
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// pushBlob uploads content in chunks unless the repository has it.
func (c *client) pushBlob(ctx context.Context, name string, content []byte) (digest.Digest, error) {
	d := digest.FromBytes(content)
	resp, _, err := c.req(ctx, "HEAD", "/v2/"+name+"/blobs/"+d.String(), nil)
	if err != nil || resp.StatusCode == 200 {
		return d, err
	}
	resp, _, err = c.req(ctx, "POST", "/v2/"+name+"/blobs/uploads/", nil)
	if err != nil || resp.StatusCode != 202 {
		return d, fmt.Errorf("start upload: %v %v", resp, err)
	}
	loc := resp.Header.Get("Location")
	for off := 0; off < len(content); off += c.chunk {
		end := min(off+c.chunk, len(content))
		resp, _, err = c.req(ctx, "PATCH", loc, content[off:end], "Content-Range", fmt.Sprintf("%d-%d", off, end-1))
		if err != nil || resp.StatusCode != 202 {
			return d, fmt.Errorf("chunk at %d: %v %v", off, resp, err)
		}
		loc = resp.Header.Get("Location")
	}
	resp, b, err := c.req(ctx, "PUT", loc+"?digest="+d.String(), nil)
	if err != nil || resp.StatusCode != 201 {
		return d, fmt.Errorf("finish upload: %v %s %v", resp, b, err)
	}
	return d, nil
}

// pullVerified fetches a blob and checks it against its digest.
func (c *client) pullVerified(ctx context.Context, name string, d digest.Digest) error {
	resp, b, err := c.req(ctx, "GET", "/v2/"+name+"/blobs/"+d.String(), nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("blob %s: status %d", d, resp.StatusCode)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return fmt.Errorf("blob %s: served content has digest %s", d, got)
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// pushImage pushes config, layers and a manifest tagged tag.
func (c *client) pushImage(ctx context.Context, name, tag string, config []byte, layers [][]byte) (digest.Digest, error) {
	cd, err := c.pushBlob(ctx, name, config)
	if err != nil {
		return "", err
	}
	m := ocispec.Manifest{MediaType: api.MediaTypeOCIManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cd, Size: int64(len(config))}}
	m.SchemaVersion = 2
	for _, l := range layers {
		ld, err := c.pushBlob(ctx, name, l)
		if err != nil {
			return "", err
		}
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: ld, Size: int64(len(l))})
	}
	body, _ := json.Marshal(m)
	resp, b, err := c.req(ctx, "PUT", "/v2/"+name+"/manifests/"+tag, body, "Content-Type", api.MediaTypeOCIManifest)
	if err != nil || resp.StatusCode != 201 {
		return "", fmt.Errorf("manifest: %v %s %v", resp, b, err)
	}
	return digest.FromBytes(body), nil
}

// pullImage pulls a manifest by tag and every blob it references, checking
// each against its digest.
func (c *client) pullImage(ctx context.Context, name, tag string, want digest.Digest) error {
	resp, body, err := c.req(ctx, "GET", "/v2/"+name+"/manifests/"+tag, nil, "Accept", api.MediaTypeOCIManifest)
	if err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("manifest %s:%s: %v %v", name, tag, resp, err)
	}
	if got := digest.FromBytes(body); got != want || resp.Header.Get(api.HeaderContentDigest) != want.String() {
		return fmt.Errorf("manifest %s:%s: digest %s (header %s), want %s", name, tag, got, resp.Header.Get(api.HeaderContentDigest), want)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		if err := c.pullVerified(ctx, name, d.Digest); err != nil {
			return err
		}
	}
	return nil
}

// countFiles counts regular files below dir named name.
func countFiles(t *testing.T, dir, name string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() && (name == "" || de.Name() == name) {
			n++
		}
		return nil
	})
	return n
}

// TestConcurrentPushes: 50 clients push images sharing three layers at the
// same time (many race to upload the same blob). Each blob must be stored
// once, and every image must pull back with every digest verified.
func TestConcurrentPushes(t *testing.T) {
	root := t.TempDir()
	reg, err := New(t.Context(), Config{Storage: StorageConfig{RootDir: root}, Log: LogConfig{NoAccessLog: true}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	c := &client{base: srv.URL, http: srv.Client(), chunk: 96 << 10}
	shared := [][]byte{randomBytes(512 << 10), randomBytes(256 << 10), randomBytes(300 << 10)}
	const pushes = 50
	digests := make([]digest.Digest, pushes)
	var wg sync.WaitGroup
	errs := make(chan error, pushes)
	for i := range pushes {
		wg.Go(func() {
			layers := append(append([][]byte{}, shared...), randomBytes(64<<10))
			config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","image":%d}`, i))
			name := fmt.Sprintf("team%d/app", i%5) // 5 repositories, 10 images each
			d, err := c.pushImage(t.Context(), name, fmt.Sprintf("v%d", i), config, layers)
			digests[i] = d
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 3 shared layers + per image: 1 layer, 1 config, 1 manifest
	if n, want := countFiles(t, filepath.Join(root, "blobs"), "data"), 3+3*pushes; n != want {
		t.Fatalf("%d blob files stored, want %d (each blob once)", n, want)
	}
	if n := countFiles(t, filepath.Join(root, "repositories"), "data"); n != 0 {
		t.Fatalf("%d upload data files left behind", n)
	}
	if n := countFiles(t, filepath.Join(root, ".tmp"), ""); n != 0 {
		t.Fatalf("%d temp files left behind", n)
	}
	for i := range pushes {
		wg.Go(func() {
			if err := c.pullImage(t.Context(), fmt.Sprintf("team%d/app", i%5), fmt.Sprintf("v%d", i), digests[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := os.Stat(root); err != nil {
		t.Fatal(err)
	}
}
