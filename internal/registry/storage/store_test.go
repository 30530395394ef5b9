package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/berthproject/berth/internal/registry/storage/driver/filesystem"
	"github.com/berthproject/berth/internal/registry/storage/driver/inmemory"
	"github.com/opencontainers/go-digest"
)

// eachDriver runs fn against a Store on each driver.
func eachDriver(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("filesystem", func(t *testing.T) {
		d, err := filesystem.New(t.TempDir(), filesystem.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, New(d, Options{}))
	})
	t.Run("inmemory", func(t *testing.T) { fn(t, New(inmemory.New(), Options{})) })
}

func pushBlob(t *testing.T, s *Store, name, content string) digest.Digest {
	t.Helper()
	d := digest.FromString(content)
	if _, err := s.PutBlob(t.Context(), name, d, strings.NewReader(content)); err != nil {
		t.Fatalf("PutBlob %s: %v", name, err)
	}
	return d
}

// pushImage pushes a config and layers and an OCI manifest (plus extra
// JSON members) under ref; it returns the manifest digest.
func pushImage(t *testing.T, s *Store, name, ref, extra string, layers ...string) digest.Digest {
	t.Helper()
	cfg := pushBlob(t, s, name, "config of "+strings.Join(layers, ","))
	var ls []string
	for _, l := range layers {
		d := pushBlob(t, s, name, l)
		ls = append(ls, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}`, d, len(l)))
	}
	body := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[%s]%s}`,
		api.MediaTypeOCIManifest, cfg, len("config of "+strings.Join(layers, ",")), strings.Join(ls, ","), extra)
	res, err := s.PutManifest(t.Context(), name, ref, api.MediaTypeOCIManifest, []byte(body), nil)
	if err != nil {
		t.Fatalf("PutManifest %s:%s: %v", name, ref, err)
	}
	return res.Descriptor.Digest
}

func countBlobs(t *testing.T, d driver.Driver) int {
	n := 0
	err := d.Walk(t.Context(), "/blobs", func(fi driver.FileInfo) error {
		if !fi.IsDir && strings.HasSuffix(fi.Path, "/data") {
			n++
		}
		return nil
	})
	if err != nil && !errdefs.IsNotFound(err) {
		t.Fatal(err)
	}
	return n
}

func readBlob(t *testing.T, s *Store, name string, d digest.Digest) string {
	t.Helper()
	r, _, err := s.OpenBlob(t.Context(), name, d)
	if err != nil {
		t.Fatalf("OpenBlob %s@%s: %v", name, d, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestChunkedUpload(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u, err := s.StartUpload(ctx, "a/b")
		if err != nil {
			t.Fatal(err)
		}
		if u, err = s.WriteUpload(ctx, "a/b", u.ID, 0, strings.NewReader("hello")); err != nil || u.Offset != 5 {
			t.Fatalf("first chunk: %+v, %v", u, err)
		}
		got, err := s.WriteUpload(ctx, "a/b", u.ID, 3, strings.NewReader("lo, world"))
		if !errors.Is(err, api.ErrRangeInvalid) || got.Offset != 5 {
			t.Fatalf("overlapping chunk: %+v, %v; want RANGE_INVALID at 5", got, err)
		}
		if u, err = s.WriteUpload(ctx, "a/b", u.ID, -1, strings.NewReader(", ")); err != nil || u.Offset != 7 {
			t.Fatalf("streamed chunk: %+v, %v", u, err)
		}
		if st, err := s.UploadStatus(ctx, "a/b", u.ID); err != nil || st.Offset != 7 {
			t.Fatalf("status: %+v, %v", st, err)
		}
		want := digest.FromString("hello, world")
		desc, err := s.FinishUpload(ctx, "a/b", u.ID, 7, strings.NewReader("world"), want)
		if err != nil || desc.Size != 12 || desc.Digest != want {
			t.Fatalf("finish: %+v, %v", desc, err)
		}
		if got := readBlob(t, s, "a/b", want); got != "hello, world" {
			t.Fatalf("blob content %q", got)
		}
		if _, err := s.UploadStatus(ctx, "a/b", u.ID); !errors.Is(err, api.ErrBlobUploadUnknown) {
			t.Fatalf("finished upload still there: %v", err)
		}
	})
}

func TestUploadErrors(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u, _ := s.StartUpload(ctx, "r")
		s.WriteUpload(ctx, "r", u.ID, 0, strings.NewReader("data"))
		_, err := s.FinishUpload(ctx, "r", u.ID, -1, nil, digest.FromString("other"))
		if !errors.Is(err, api.ErrDigestInvalid) {
			t.Fatalf("digest mismatch: %v", err)
		}
		if _, err := s.UploadStatus(ctx, "r", u.ID); !errors.Is(err, api.ErrBlobUploadUnknown) {
			t.Fatalf("upload survived a digest mismatch: %v", err)
		}
		for _, id := range []string{"../../../etc", "nope", strings.Repeat("a", 36), u.ID} {
			if _, err := s.WriteUpload(ctx, "r", id, -1, strings.NewReader("x")); !errors.Is(err, api.ErrBlobUploadUnknown) {
				t.Errorf("WriteUpload(%q) = %v", id, err)
			}
		}
		if _, err := s.PutBlob(ctx, "r", "sha256:bad", strings.NewReader("x")); !errors.Is(err, api.ErrDigestInvalid) {
			t.Fatalf("bad digest: %v", err)
		}
		if _, err := s.StartUpload(ctx, "../x"); !errors.Is(err, api.ErrNameInvalid) {
			t.Fatalf("bad name: %v", err)
		}
		u, _ = s.StartUpload(ctx, "r")
		if err := s.CancelUpload(ctx, "r", u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelUpload(ctx, "r", u.ID); !errors.Is(err, api.ErrBlobUploadUnknown) {
			t.Fatalf("second cancel: %v", err)
		}
	})
}

// TestUploadResume simulates a registry restart in the middle of an upload:
// a new Store on the same driver has no in-memory hash, finds the offset
// from the stored data and verifies the digest (sha512 too) by reading it.
func TestUploadResume(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
			u, _ := s.StartUpload(ctx, "resume")
			if _, err := s.WriteUpload(ctx, "resume", u.ID, 0, strings.NewReader("first half|")); err != nil {
				t.Fatal(err)
			}
			s2 := New(s.Driver(), Options{})
			st, err := s2.UploadStatus(ctx, "resume", u.ID)
			if err != nil || st.Offset != 11 {
				t.Fatalf("status after restart: %+v, %v", st, err)
			}
			want := alg.FromString("first half|second half")
			if _, err := s2.FinishUpload(ctx, "resume", u.ID, 11, strings.NewReader("second half"), want); err != nil {
				t.Fatalf("%s finish after restart: %v", alg, err)
			}
			if got := readBlob(t, s2, "resume", want); got != "first half|second half" {
				t.Fatalf("content %q", got)
			}
		}
	})
}

func TestDedupAndMount(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		d := pushBlob(t, s, "one", "shared layer")
		pushBlob(t, s, "two", "shared layer")
		if _, err := s.MountBlob(ctx, "three", "one", d); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkExistingBlob(ctx, "four", d); err != nil {
			t.Fatal(err)
		}
		if n := countBlobs(t, s.Driver()); n != 1 {
			t.Fatalf("%d copies of one blob", n)
		}
		for _, r := range []string{"one", "two", "three", "four"} {
			if got := readBlob(t, s, r, d); got != "shared layer" {
				t.Fatalf("%s: %q", r, got)
			}
		}
		if _, err := s.MountBlob(ctx, "five", "one", digest.FromString("absent")); !errors.Is(err, api.ErrBlobUnknown) {
			t.Fatalf("mount of a missing blob: %v", err)
		}
		if err := s.DeleteBlob(ctx, "one", d); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StatBlob(ctx, "one", d); !errors.Is(err, api.ErrBlobUnknown) {
			t.Fatalf("deleted blob: %v", err)
		}
		if _, err := s.StatBlob(ctx, "two", d); err != nil {
			t.Fatalf("delete in one repository removed it from another: %v", err)
		}
		if err := s.DeleteBlob(ctx, "one", d); !errors.Is(err, api.ErrBlobUnknown) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestManifests(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		md := pushImage(t, s, "app", "v1", "", "layer a", "layer b")
		desc, body, err := s.GetManifest(ctx, "app", "v1")
		if err != nil || desc.Digest != md || desc.MediaType != api.MediaTypeOCIManifest || digest.FromBytes(body) != md {
			t.Fatalf("get by tag: %+v, %v", desc, err)
		}
		if d2, err := s.StatManifest(ctx, "app", md.String()); err != nil || d2.Size != int64(len(body)) {
			t.Fatalf("stat by digest: %+v, %v", d2, err)
		}
		// the same bytes under their sha512 digest, with tag parameters
		d512 := digest.SHA512.FromBytes(body)
		res, err := s.PutManifest(ctx, "app", d512.String(), api.MediaTypeOCIManifest, body, []string{"t1", "t2"})
		if err != nil || res.Descriptor.Digest != d512 || len(res.Tags) != 2 {
			t.Fatalf("put by sha512: %+v, %v", res, err)
		}
		if desc, _, err := s.GetManifest(ctx, "app", "t1"); err != nil || desc.Digest != d512 {
			t.Fatalf("tag t1: %+v, %v", desc, err)
		}
		if tags, err := s.Tags(ctx, "app"); err != nil || strings.Join(tags, ",") != "t1,t2,v1" {
			t.Fatalf("tags %v, %v", tags, err)
		}
		if err := s.DeleteManifest(ctx, "app", "t1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StatManifest(ctx, "app", "t1"); !errors.Is(err, api.ErrManifestUnknown) {
			t.Fatalf("deleted tag: %v", err)
		}
		if _, err := s.StatManifest(ctx, "app", d512.String()); err != nil {
			t.Fatalf("tag delete removed the manifest: %v", err)
		}
		if err := s.DeleteManifest(ctx, "app", d512.String()); err != nil {
			t.Fatal(err)
		}
		if tags, _ := s.Tags(ctx, "app"); strings.Join(tags, ",") != "v1" {
			t.Fatalf("deleting a manifest must drop its tags: %v", tags)
		}
		if err := s.DeleteManifest(ctx, "app", d512.String()); !errors.Is(err, api.ErrManifestUnknown) {
			t.Fatalf("second delete: %v", err)
		}
	})
}

func TestManifestErrors(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		good := imageJSON("")
		tests := []struct {
			name, ref, body string
			want            error
		}{
			{"missing blobs", "v1", good, api.ErrManifestBlobUnknown},
			{"digest mismatch", digest.FromString("other").String(), good, api.ErrDigestInvalid},
			{"malformed digest", "sha256:baddigeststring", good, api.ErrDigestInvalid},
			{"bad tag", ".bad", good, api.ErrTagInvalid},
			{"invalid json", "v1", "{", api.ErrManifestInvalid},
			{"too large", "v1", `{"schemaVersion":2,"manifests":[],"annotations":{"a":"` + strings.Repeat("x", DefaultMaxManifestSize) + `"}}`, api.ErrManifestTooLarge},
			{"missing child", "v1", `{"schemaVersion":2,"manifests":[{"digest":"` + cfgDigest.String() + `","size":1}]}`, api.ErrManifestBlobUnknown},
		}
		for _, tc := range tests {
			if _, err := s.PutManifest(ctx, "bad", tc.ref, "", []byte(tc.body), nil); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		if _, err := s.StatManifest(ctx, "bad", ".INVALID_MANIFEST_NAME"); !errors.Is(err, api.ErrManifestUnknown) {
			t.Errorf("invalid tag on GET must be unknown, got %v", err)
		}
		if _, err := s.Tags(ctx, "bad"); !errors.Is(err, api.ErrNameUnknown) {
			t.Errorf("tags of an unknown repository: %v", err)
		}
	})
}

func TestReferrers(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		subject := digest.FromString("a subject never pushed")
		subj := fmt.Sprintf(`,"subject":{"mediaType":%q,"digest":%q,"size":3}`, api.MediaTypeOCIManifest, subject)
		sig := pushImage(t, s, "app", "sig", subj+`,"artifactType":"application/sig"`, "sig")
		sbom := pushImage(t, s, "app", "sbom", subj+`,"annotations":{"k":"v"}`, "sbom")
		all, err := s.Referrers(ctx, "app", subject, "")
		if err != nil || len(all) != 2 {
			t.Fatalf("referrers: %+v, %v", all, err)
		}
		for _, d := range all {
			if d.Digest == sbom && (d.ArtifactType != "application/vnd.oci.image.config.v1+json" || d.Annotations["k"] != "v") {
				t.Fatalf("sbom descriptor %+v", d)
			}
		}
		only, _ := s.Referrers(ctx, "app", subject, "application/sig")
		if len(only) != 1 || only[0].Digest != sig {
			t.Fatalf("filtered: %+v", only)
		}
		// an index under the fallback tag is merged in
		extra := digest.FromString("old client referrer")
		fallback := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":9,"artifactType":"application/old"}]}`,
			api.MediaTypeOCIIndex, api.MediaTypeOCIManifest, extra)
		if _, err := s.PutManifest(ctx, "app", FallbackTag(subject), api.MediaTypeOCIIndex, []byte(fallback), nil); !errors.Is(err, api.ErrManifestBlobUnknown) {
			t.Fatalf("fallback index with a missing child: %v", err)
		}
		storeRaw(t, s, "app", FallbackTag(subject), fallback)
		if all, _ := s.Referrers(ctx, "app", subject, ""); len(all) != 3 {
			t.Fatalf("with fallback tag: %+v", all)
		}
		if err := s.DeleteManifest(ctx, "app", sig.String()); err != nil {
			t.Fatal(err)
		}
		if all, _ := s.Referrers(ctx, "app", subject, "application/sig"); len(all) != 0 {
			t.Fatalf("deleted referrer still listed: %+v", all)
		}
		if none, err := s.Referrers(ctx, "nowhere", subject, ""); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("unknown repository: %v, %v", none, err)
		}
	})
}

// storeRaw stores a manifest without reference checks (as a sparse push
// from an older registry would have).
func storeRaw(t *testing.T, s *Store, name, tag, body string) {
	t.Helper()
	m, err := ParseManifest("", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromString(body)
	if err := s.storeManifest(t.Context(), name, d, m, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := s.d.PutContent(t.Context(), tagPath(name, tag), []byte(d)); err != nil {
		t.Fatal(err)
	}
}

func TestRepositories(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for _, n := range []string{"b", "a/b/c", "a", "a-c", "z/y"} {
			pushBlob(t, s, n, "x")
		}
		s.StartUpload(ctx, "only/upload")
		got, err := s.Repositories(ctx)
		if want := "a,a-c,a/b/c,b,only/upload,z/y"; err != nil || strings.Join(got, ",") != want {
			t.Fatalf("Repositories = %v, %v; want %s", got, err, want)
		}
		if tags, err := s.Tags(ctx, "a"); err != nil || tags == nil || len(tags) != 0 {
			t.Fatalf("tags of a repository without tags: %#v, %v", tags, err)
		}
	})
}

func TestGarbageCollect(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		tagged := pushImage(t, s, "app", "v1", "", "shared", "only tagged")
		untagged := pushImage(t, s, "app", "tmp", "", "shared", "only untagged")
		s.DeleteManifest(ctx, "app", "tmp") // now untagged
		subj := fmt.Sprintf(`,"subject":{"mediaType":%q,"digest":%q,"size":1}`, api.MediaTypeOCIManifest, tagged)
		sig := pushImage(t, s, "app", "sigtag", subj, "signature")
		s.DeleteManifest(ctx, "app", "sigtag") // untagged, but refers to a kept manifest
		orphan := pushBlob(t, s, "app", "orphan layer")
		u, _ := s.StartUpload(ctx, "app")
		s.WriteUpload(ctx, "app", u.ID, 0, strings.NewReader("abandoned"))
		before := countBlobs(t, s.Driver())

		rep, err := s.GarbageCollect(ctx, GCOptions{DryRun: true, DeleteUntagged: true})
		if err != nil || rep.BlobsDeleted == 0 || rep.ManifestsDeleted != 1 || rep.UploadsDeleted != 1 || countBlobs(t, s.Driver()) != before {
			t.Fatalf("dry run: %+v, %v (blobs %d → %d)", rep, err, before, countBlobs(t, s.Driver()))
		}
		rep, err = s.GarbageCollect(ctx, GCOptions{})
		if err != nil || rep.BlobsDeleted != 1 || rep.ManifestsDeleted != 0 || rep.UploadsDeleted != 1 {
			t.Fatalf("gc: %+v, %v", rep, err)
		}
		if _, err := s.StatBlob(ctx, "app", orphan); !errors.Is(err, api.ErrBlobUnknown) {
			t.Fatalf("orphan blob survived: %v", err)
		}
		if _, err := s.StatManifest(ctx, "app", untagged.String()); err != nil {
			t.Fatalf("untagged manifest deleted without --delete-untagged: %v", err)
		}
		rep, err = s.GarbageCollect(ctx, GCOptions{DeleteUntagged: true})
		if err != nil || rep.ManifestsDeleted != 1 || rep.BlobsDeleted != 3 { // manifest, its config, its own layer
			t.Fatalf("gc --delete-untagged: %+v, %v", rep, err)
		}
		if _, err := s.StatManifest(ctx, "app", untagged.String()); !errors.Is(err, api.ErrManifestUnknown) {
			t.Fatalf("untagged manifest kept: %v", err)
		}
		for _, ref := range []string{"v1", sig.String()} {
			if _, b, err := s.GetManifest(ctx, "app", ref); err != nil {
				t.Fatalf("%s lost: %v", ref, err)
			} else if m, _ := ParseManifest("", b); m != nil {
				for _, l := range m.Layers {
					if _, err := s.StatBlob(ctx, "app", l.Digest); err != nil {
						t.Fatalf("%s lost blob %s: %v", ref, l.Digest, err)
					}
				}
			}
		}
	})
}

func TestPurgeUploadsKeepsFresh(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u, _ := s.StartUpload(ctx, "p")
		if n, err := s.PurgeUploads(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("fresh upload purged: %d, %v", n, err)
		}
		if n, err := s.PurgeUploads(ctx, 0); err != nil || n != 1 {
			t.Fatalf("purge: %d, %v", n, err)
		}
		if _, err := s.WriteUpload(ctx, "p", u.ID, -1, bytes.NewReader(nil)); !errors.Is(err, api.ErrBlobUploadUnknown) {
			t.Fatalf("purged upload still usable: %v", err)
		}
	})
}

// failingReader yields data, then fails like a client hanging up.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestInterruptedChunkKeepsBytes(t *testing.T) {
	eachDriver(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u, _ := s.StartUpload(ctx, "cut")
		got, err := s.WriteUpload(ctx, "cut", u.ID, 0, &failingReader{data: []byte("partial")})
		if !errors.Is(err, api.ErrBlobUploadInvalid) || got.Offset != 7 {
			t.Fatalf("interrupted chunk: %+v, %v", got, err)
		}
		if _, err := s.FinishUpload(ctx, "cut", u.ID, 7, strings.NewReader(" and the rest"), digest.FromString("partial and the rest")); err != nil {
			t.Fatalf("resume after an interrupted chunk: %v", err)
		}
	})
}
