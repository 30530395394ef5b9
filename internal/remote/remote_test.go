package remote

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func readerOf(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func TestRoundTrip(t *testing.T) {
	f := newFakeRegistry(t)
	ctx := t.Context()
	r := f.open(t, "test/app", Credentials{}, true)
	blob := randomBytes(300 << 10)
	desc, err := r.Upload(ctx, readerOf(blob), "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != digest.FromBytes(blob) || desc.Size != int64(len(blob)) {
		t.Fatalf("upload descriptor %+v", desc)
	}
	if _, ok, err := r.BlobExists(ctx, desc.Digest); err != nil || !ok {
		t.Fatalf("BlobExists after upload: %v %v", ok, err)
	}
	if _, ok, err := r.BlobExists(ctx, digest.FromString("nope")); err != nil || ok {
		t.Fatalf("BlobExists of a missing blob: %v %v", ok, err)
	}
	other := f.open(t, "other/app", Credentials{}, true)
	if ok, err := other.Mount(ctx, desc.Digest, "test/app"); err != nil || !ok {
		t.Fatalf("mount: %v %v", ok, err)
	}
	if ok, err := other.Mount(ctx, digest.FromString("nope"), "test/app"); err != nil || ok {
		t.Fatalf("mount of a missing blob: %v %v", ok, err)
	}
	manifest := []byte(`{"schemaVersion":2,"mediaType":"` + ocispec.MediaTypeImageManifest + `","layers":[]}`)
	md, err := r.PutManifest(ctx, "v1", ocispec.MediaTypeImageManifest, manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"v1", md.String()} {
		raw, got, err := r.Manifest(ctx, ref)
		if err != nil || !bytes.Equal(raw, manifest) || got.Digest != md || got.MediaType != ocispec.MediaTypeImageManifest {
			t.Fatalf("manifest %s: %v %+v", ref, err, got)
		}
	}
	if _, _, err := r.Manifest(ctx, "nope"); !errdefs.IsNotFound(err) || err.Error() != "manifest unknown: manifest unknown" {
		t.Fatalf("missing manifest: %v", err)
	}
	rc, err := other.FetchBlob(ctx, desc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("fetch after mount: %v (%d bytes)", err, len(got))
	}
}

func TestTags(t *testing.T) {
	f := newFakeRegistry(t)
	r := f.open(t, "test/app", Credentials{}, true)
	for _, tag := range []string{"a", "b", "c", "d", "e"} {
		if _, err := r.PutManifest(t.Context(), tag, ocispec.MediaTypeImageManifest, []byte(`{"tag":"`+tag+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	tags, err := r.Tags(t.Context())
	if err != nil || strings.Join(tags, ",") != "a,b,c,d,e" {
		t.Fatalf("tags %v, %v", tags, err)
	}
}

func TestFetchBlobResumesAndVerifies(t *testing.T) {
	f := newFakeRegistry(t)
	blob := randomBytes(1 << 20)
	d := f.putBlob("test/app", blob)
	var cuts atomic.Int32
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		// The first two downloads break after 100 KiB.
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") || cuts.Add(1) > 2 {
			return false
		}
		w.Header().Set("Content-Length", "1048576")
		w.Write(blob[:100<<10])
		panic(http.ErrAbortHandler)
	}
	r := f.open(t, "test/app", Credentials{}, false)
	rc, err := r.FetchBlob(t.Context(), ocispec.Descriptor{Digest: d, Size: int64(len(blob))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("resumed download: %v (%d bytes)", err, len(got))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := strings.Count(strings.Join(f.log, "\n"), "GET /v2/test/app/blobs/"); n != 3 {
		t.Fatalf("%d blob requests, want 3:\n%s", n, strings.Join(f.log, "\n"))
	}
}

func TestFetchBlobDigestMismatch(t *testing.T) {
	f := newFakeRegistry(t)
	blob := randomBytes(64 << 10)
	d := f.putBlob("test/app", blob)
	f.blobs["test/app"][d] = randomBytes(64 << 10) // served bytes differ from the name
	r := f.open(t, "test/app", Credentials{}, false)
	rc, err := r.FetchBlob(t.Context(), ocispec.Descriptor{Digest: d, Size: int64(len(blob))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	if !errors.Is(err, ErrDigestMismatch) || !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("got %v, want a digest mismatch", err)
	}
}

func TestRetries(t *testing.T) {
	f := newFakeRegistry(t)
	var fails atomic.Int32
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/manifests/") && fails.Add(1) <= 2 {
			writeErr(w, http.StatusServiceUnavailable, "UNAVAILABLE", "try later")
			return true
		}
		return false
	}
	r := f.open(t, "test/app", Credentials{}, true)
	if _, err := r.PutManifest(t.Context(), "v1", ocispec.MediaTypeImageManifest, []byte(`{}`)); err != nil {
		t.Fatalf("put after two 503s: %v", err)
	}
	fails.Store(100)
	if _, _, err := r.Manifest(t.Context(), "missing"); !errdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		writeErr(w, http.StatusServiceUnavailable, "UNAVAILABLE", "down")
		return true
	}
	_, _, err := r.Manifest(t.Context(), "v1")
	if !errdefs.IsUnavailable(err) || !Transient(err) {
		t.Fatalf("persistent 503: %v", err)
	}
}

func TestUploadRetryReopens(t *testing.T) {
	f := newFakeRegistry(t)
	var patches atomic.Int32
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && patches.Add(1) == 1 {
			io.Copy(io.Discard, r.Body)
			writeErr(w, http.StatusInternalServerError, "UNKNOWN", "disk hiccup")
			return true
		}
		return false
	}
	blob := randomBytes(10 << 10)
	opens := 0
	r := f.open(t, "test/app", Credentials{}, true)
	desc, err := r.Upload(t.Context(), func() (io.ReadCloser, error) { opens++; return io.NopCloser(bytes.NewReader(blob)), nil }, digest.FromBytes(blob))
	if err != nil || opens != 2 || desc.Digest != digest.FromBytes(blob) {
		t.Fatalf("upload: %v, %d opens, %+v", err, opens, desc)
	}
	_, err = r.Upload(t.Context(), readerOf(blob), digest.FromString("other"))
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("upload with a wrong expected digest: %v", err)
	}
}

// TestFetchBlobGivesUp: a blob whose connection always breaks fails with a
// non-EOF error once the resumes run out (never a short, clean read).
func TestFetchBlobGivesUp(t *testing.T) {
	f := newFakeRegistry(t)
	blob := randomBytes(256 << 10)
	d := f.putBlob("test/app", blob)
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			return false
		}
		w.Header().Set("Content-Length", "262144")
		w.Write(blob[:1000])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	r := f.open(t, "test/app", Credentials{}, false)
	rc, err := r.FetchBlob(t.Context(), ocispec.Descriptor{Digest: d, Size: int64(len(blob))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err == nil || errors.Is(err, io.EOF) || !errdefs.IsUnavailable(err) {
		t.Fatalf("read %d bytes, error %v", len(got), err)
	}
}

func TestSearch(t *testing.T) {
	f := newFakeRegistry(t)
	f.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/v1/search" {
			return false
		}
		w.Write([]byte(`{"num_results":1,"query":"` + r.URL.Query().Get("q") + `","results":[{"name":"` + r.URL.Query().Get("q") +
			`","star_count":3,"is_official":true,"description":"n=` + r.URL.Query().Get("n") + `"}]}`))
		return true
	}
	res, err := f.client(t).Search(t.Context(), f.host()+"/busybox", 7, Credentials{})
	if err != nil || len(res) != 1 || res[0].Name != "busybox" || !res[0].IsOfficial || res[0].Description != "n=7" {
		t.Fatalf("search: %+v %v", res, err)
	}
	other := newFakeRegistry(t) // no v1 API: 404
	if _, err := other.client(t).Search(t.Context(), other.host()+"/busybox", 5, Credentials{}); !errdefs.IsNotFound(err) {
		t.Fatalf("v2-only registry: %v", err)
	}
	if host, term := splitSearchTerm("busybox"); host != DockerHub || term != "busybox" {
		t.Errorf("split busybox: %s %s", host, term)
	}
}
