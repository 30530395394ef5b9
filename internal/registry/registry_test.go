package registry

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestBase(t *testing.T) {
	tr := newTestRegistry(t, Config{})
	r := tr.do("GET", "/v2/", nil)
	if r.status != 200 || string(r.body) != "{}" || r.header.Get(api.HeaderAPIVersion) != "registry/2.0" {
		t.Fatalf("ping: %s", r)
	}
	tr.expect(tr.do("POST", "/v2/", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
	tr.expect(tr.do("GET", "/v2/a/unknown/x", nil), http.StatusNotFound, "NOT_FOUND")
}

// TestChunkedUploadFlow walks one upload through every upload endpoint.
func TestChunkedUploadFlow(t *testing.T) {
	tr := newTestRegistry(t, Config{})
	blob := []byte(strings.Repeat("0123456789", 100))
	r := tr.do("POST", "/v2/x/y/blobs/uploads/", nil)
	tr.expect(r, http.StatusAccepted, "")
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/v2/x/y/blobs/uploads/") || r.header.Get("Range") != "0-0" || r.header.Get(api.HeaderUploadUUID) == "" {
		t.Fatalf("start: %s", r)
	}
	r = tr.do("PATCH", loc, blob[:400], "Content-Range", "0-399", "Content-Type", "application/octet-stream")
	tr.expect(r, http.StatusAccepted, "")
	if r.header.Get("Range") != "0-399" {
		t.Fatalf("range after first chunk: %s", r)
	}
	// out of order: 416, and the upload is intact
	r = tr.do("PATCH", loc, blob[500:600], "Content-Range", "500-599")
	tr.expect(r, http.StatusRequestedRangeNotSatisfiable, "RANGE_INVALID")
	if r.header.Get("Range") != "0-399" || r.header.Get("Location") != loc {
		t.Fatalf("416 must tell where the upload is: %s", r)
	}
	r = tr.do("GET", loc, nil)
	tr.expect(r, http.StatusNoContent, "")
	if r.header.Get("Range") != "0-399" {
		t.Fatalf("status: %s", r)
	}
	tr.expect(tr.do("PATCH", loc, blob[400:700]), http.StatusAccepted, "") // streamed, no Content-Range
	d := digest.FromBytes(blob)
	r = tr.do("PUT", loc+"?digest="+d.String(), blob[700:], "Content-Range", "700-999")
	tr.expect(r, http.StatusCreated, "")
	if r.header.Get("Location") != "/v2/x/y/blobs/"+d.String() || r.header.Get(api.HeaderContentDigest) != d.String() {
		t.Fatalf("finish: %s", r)
	}
	tr.expect(tr.do("GET", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	r = tr.do("GET", "/v2/x/y/blobs/"+d.String(), nil)
	if r.status != 200 || string(r.body) != string(blob) || r.header.Get("Content-Length") != "1000" {
		t.Fatalf("get: %d %d bytes", r.status, len(r.body))
	}
	// cancel
	loc = tr.do("POST", "/v2/x/y/blobs/uploads/", nil).header.Get("Location")
	tr.expect(tr.do("DELETE", loc, nil), http.StatusNoContent, "")
	tr.expect(tr.do("DELETE", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
}

func TestBlobEndpoints(t *testing.T) {
	tr := newTestRegistry(t, Config{})
	blob := []byte(strings.Repeat("abcdefgh", 256))
	d := tr.pushBlob("src", blob)
	r := tr.do("HEAD", "/v2/src/blobs/"+d.String(), nil)
	if r.status != 200 || r.header.Get("Content-Length") != "2048" || len(r.body) != 0 || r.header.Get(api.HeaderContentDigest) != d.String() {
		t.Fatalf("head: %s", r)
	}
	r = tr.do("GET", "/v2/src/blobs/"+d.String(), nil, "Range", "bytes=500-1499")
	if r.status != 206 || string(r.body) != string(blob[500:1500]) || r.header.Get("Content-Range") != "bytes 500-1499/2048" {
		t.Fatalf("range: %s", r)
	}
	r = tr.do("GET", "/v2/src/blobs/"+d.String(), nil, "Range", "bytes=5000-")
	tr.expect(r, http.StatusRequestedRangeNotSatisfiable, "RANGE_INVALID")
	if r.header.Get("Content-Range") != "bytes */2048" {
		t.Fatalf("416 Content-Range: %s", r)
	}
	r = tr.do("GET", "/v2/src/blobs/"+d.String(), nil, "If-None-Match", `"`+d.String()+`"`)
	tr.expect(r, http.StatusNotModified, "")
	// mounts: from a repository, anonymous, and a missing blob (a session)
	r = tr.do("POST", "/v2/dst/blobs/uploads/?mount="+d.String()+"&from=src", nil)
	if r.status != 201 || r.header.Get("Location") != "/v2/dst/blobs/"+d.String() {
		t.Fatalf("mount: %s", r)
	}
	tr.expect(tr.do("POST", "/v2/anon/blobs/uploads/?mount="+d.String(), nil), http.StatusCreated, "")
	r = tr.do("POST", "/v2/dst/blobs/uploads/?mount="+digest.FromString("none").String()+"&from=src", nil)
	if r.status != 202 || !strings.HasPrefix(r.header.Get("Location"), "/v2/dst/blobs/uploads/") {
		t.Fatalf("mount of a missing blob must start a session: %s", r)
	}
	tr.expect(tr.do("DELETE", "/v2/dst/blobs/"+d.String(), nil), http.StatusAccepted, "")
	tr.expect(tr.do("GET", "/v2/dst/blobs/"+d.String(), nil), http.StatusNotFound, "BLOB_UNKNOWN")
	tr.expect(tr.do("GET", "/v2/src/blobs/"+d.String(), nil), http.StatusOK, "")
	tr.expect(tr.do("DELETE", "/v2/dst/blobs/"+d.String(), nil), http.StatusNotFound, "BLOB_UNKNOWN")
}

func TestManifestEndpoints(t *testing.T) {
	tr := newTestRegistry(t, Config{})
	md, body := tr.pushImage("app", "v1", []byte("layer one"))
	for _, ref := range []string{"v1", md.String()} {
		r := tr.do("GET", "/v2/app/manifests/"+ref, nil, "Accept", api.MediaTypeOCIManifest)
		if r.status != 200 || string(r.body) != string(body) || r.header.Get("Content-Type") != api.MediaTypeOCIManifest ||
			r.header.Get(api.HeaderContentDigest) != md.String() {
			t.Fatalf("get %s: %s", ref, r)
		}
		r = tr.do("HEAD", "/v2/app/manifests/"+ref, nil)
		if r.status != 200 || r.header.Get("Content-Length") != fmt.Sprint(len(body)) || len(r.body) != 0 {
			t.Fatalf("head %s: %s", ref, r)
		}
	}
	// push by digest with tag parameters
	r := tr.do("PUT", "/v2/app/manifests/"+md.String()+"?tag=a&tag=b", body, "Content-Type", api.MediaTypeOCIManifest)
	if r.status != 201 || r.header.Get(api.HeaderTag) != "a, b" {
		t.Fatalf("tag params: %s", r)
	}
	// a referrer
	subj := fmt.Sprintf(`"subject":{"mediaType":%q,"digest":%q,"size":%d},"artifactType":"application/x.sig"`, api.MediaTypeOCIManifest, md, len(body))
	sig := []byte(strings.Replace(string(body), `"schemaVersion":2,`, `"schemaVersion":2,`+subj+`,`, 1))
	r = tr.do("PUT", "/v2/app/manifests/sig", sig, "Content-Type", api.MediaTypeOCIManifest)
	if r.status != 201 || r.header.Get(api.HeaderSubject) != md.String() {
		t.Fatalf("put referrer: %s", r)
	}
	for at, n := range map[string]int{"": 1, "application/x.sig": 1, "application/other": 0} {
		r = tr.do("GET", "/v2/app/referrers/"+md.String()+"?artifactType="+at, nil)
		var idx ocispec.Index
		if json.Unmarshal(r.body, &idx); r.status != 200 || r.header.Get("Content-Type") != api.MediaTypeOCIIndex ||
			idx.SchemaVersion != 2 || len(idx.Manifests) != n || (at != "") != (r.header.Get(api.HeaderFiltersApply) == "artifactType") {
			t.Fatalf("referrers %q: %s", at, r)
		}
	}
	tr.expect(tr.do("DELETE", "/v2/app/manifests/a", nil), http.StatusAccepted, "")
	tr.expect(tr.do("GET", "/v2/app/manifests/a", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	tr.expect(tr.do("DELETE", "/v2/app/manifests/"+md.String(), nil), http.StatusAccepted, "")
	tr.expect(tr.do("GET", "/v2/app/manifests/v1", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	tr.expect(tr.do("GET", "/v2/app/manifests/.INVALID_MANIFEST_NAME", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
}

func TestListing(t *testing.T) {
	tr := newTestRegistry(t, Config{})
	md, body := tr.pushImage("lib/app", "t0")
	for _, tag := range []string{"t3", "t1", "t2"} {
		tr.expect(tr.do("PUT", "/v2/lib/app/manifests/"+tag, body, "Content-Type", api.MediaTypeOCIManifest), 201, "")
	}
	_ = md
	var tl struct {
		Name string
		Tags []string
	}
	r := tr.do("GET", "/v2/lib/app/tags/list?n=2", nil)
	json.Unmarshal(r.body, &tl)
	if r.status != 200 || strings.Join(tl.Tags, ",") != "t0,t1" || r.header.Get("Link") != `</v2/lib/app/tags/list?last=t1&n=2>; rel="next"` {
		t.Fatalf("page 1: %s", r)
	}
	r = tr.do("GET", "/v2/lib/app/tags/list?n=2&last=t1", nil)
	json.Unmarshal(r.body, &tl)
	if strings.Join(tl.Tags, ",") != "t2,t3" || r.header.Get("Link") != "" {
		t.Fatalf("page 2: %s", r)
	}
	r = tr.do("GET", "/v2/lib/app/tags/list?n=0", nil)
	if json.Unmarshal(r.body, &tl); r.status != 200 || len(tl.Tags) != 0 || tl.Tags == nil {
		t.Fatalf("n=0: %s", r)
	}
	tr.expect(tr.do("GET", "/v2/lib/app/tags/list?n=-1", nil), 400, "PAGINATION_NUMBER_INVALID")
	tr.expect(tr.do("GET", "/v2/lib/none/tags/list", nil), 404, "NAME_UNKNOWN")
	tr.pushBlob("lib/other", []byte("x"))
	tr.pushBlob("a", []byte("x"))
	var cat struct{ Repositories []string }
	r = tr.do("GET", "/v2/_catalog?n=2", nil)
	if json.Unmarshal(r.body, &cat); strings.Join(cat.Repositories, ",") != "a,lib/app" || r.header.Get("Link") == "" {
		t.Fatalf("catalog: %s", r)
	}
	r = tr.do("GET", "/v2/_catalog?last=lib/app", nil)
	if json.Unmarshal(r.body, &cat); strings.Join(cat.Repositories, ",") != "lib/other" {
		t.Fatalf("catalog after last: %s", r)
	}
}

// TestHostileInput sends what a malicious or broken client might, and
// checks each gets the spec's error and nothing lands outside the storage
// root.
func TestHostileInput(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	tr := newTestRegistry(t, Config{Storage: StorageConfig{Driver: "filesystem", RootDir: root, NoSync: true}})
	d := tr.pushBlob("ok", []byte("content"))
	loc := tr.do("POST", "/v2/ok/blobs/uploads/", nil).header.Get("Location")
	tr.do("PATCH", loc, []byte("0123456789"), "Content-Range", "0-9")
	big := []byte(`{"schemaVersion":2,"manifests":[],"annotations":{"a":"` + strings.Repeat("x", 4<<20) + `"}}`)
	tests := []struct {
		name, method, path string
		body               []byte
		headers            []string
		status             []int
		code               string
	}{
		{"traversal in name", "GET", "/v2/..%2f..%2fetc/blobs/" + d.String(), nil, nil, []int{400, 404}, ""},
		{"encoded dots", "PUT", "/v2/%2e%2e/manifests/x", []byte("{}"), nil, []int{400}, "NAME_INVALID"},
		{"dot dot (cleaned by the mux)", "POST", "/v2/a/../../x/blobs/uploads/", nil, nil, []int{301, 307, 400, 404}, ""},
		{"upper case", "GET", "/v2/Evil/tags/list", nil, nil, []int{400}, "NAME_INVALID"},
		{"traversal in upload id", "PATCH", "/v2/ok/blobs/uploads/..%2f..%2f..%2fx", []byte("x"), nil, []int{404}, ""},
		{"upload id not ours", "PATCH", "/v2/ok/blobs/uploads/...", []byte("x"), nil, []int{404}, "BLOB_UPLOAD_UNKNOWN"},
		{"traversal in tag", "PUT", "/v2/ok/manifests/..%2f..%2fx", []byte("{}"), nil, []int{400, 404}, ""},
		{"dots as tag", "PUT", "/v2/ok/manifests/...", []byte("{}"), nil, []int{400}, "TAG_INVALID"},
		{"bad digest", "GET", "/v2/ok/blobs/sha256:nothex", nil, nil, []int{400}, "DIGEST_INVALID"},
		{"digest with dots", "GET", "/v2/ok/blobs/sha256:..", nil, nil, []int{400}, "DIGEST_INVALID"},
		{"oversized manifest", "PUT", "/v2/ok/manifests/big", big, []string{"Content-Type", api.MediaTypeOCIIndex}, []int{413}, "SIZE_INVALID"},
		{"invalid json", "PUT", "/v2/ok/manifests/bad", []byte("blablabla"), []string{"Content-Type", api.MediaTypeOCIManifest}, []int{400}, "MANIFEST_INVALID"},
		{"unknown blob in manifest", "PUT", "/v2/ok/manifests/bad", []byte(`{"schemaVersion":2,"config":{"digest":"` + digest.FromString("none").String() + `","size":1},"layers":[]}`), []string{"Content-Type", api.MediaTypeOCIManifest}, []int{400}, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest digest mismatch", "PUT", "/v2/ok/manifests/" + digest.FromString("x").String(), []byte(`{"schemaVersion":2,"manifests":[]}`), nil, []int{400}, "DIGEST_INVALID"},
		{"upload digest mismatch", "POST", "/v2/ok/blobs/uploads/?digest=" + digest.FromString("other").String(), []byte("content"), nil, []int{400}, "DIGEST_INVALID"},
		{"upload bad digest", "PUT", loc + "?digest=sha256:xyz", nil, nil, []int{400}, "DIGEST_INVALID"},
		{"upload without digest", "PUT", loc, nil, nil, []int{400}, "DIGEST_INVALID"},
		{"chunk out of order", "PATCH", loc, []byte("abc"), []string{"Content-Range", "20-22"}, []int{416}, "RANGE_INVALID"},
		{"chunk overlapping", "PATCH", loc, []byte("abc"), []string{"Content-Range", "5-7"}, []int{416}, "RANGE_INVALID"},
		{"content range garbage", "PATCH", loc, []byte("abc"), []string{"Content-Range", "ten-twelve"}, []int{416}, "RANGE_INVALID"},
		{"content range length", "PATCH", loc, []byte("abc"), []string{"Content-Range", "10-19"}, []int{416}, "RANGE_INVALID"},
		{"unknown upload", "GET", "/v2/ok/blobs/uploads/00000000-0000-4000-8000-000000000000", nil, nil, []int{404}, "BLOB_UPLOAD_UNKNOWN"},
		{"range past end", "GET", "/v2/ok/blobs/" + d.String(), nil, []string{"Range", "bytes=99-"}, []int{416}, "RANGE_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tr.do(tc.method, tc.path, tc.body, tc.headers...)
			ok := false
			for _, s := range tc.status {
				ok = ok || r.status == s
			}
			if !ok || (tc.code != "" && r.errCode() != tc.code) {
				t.Fatalf("got %s; want %v %s", r, tc.status, tc.code)
			}
		})
	}
	// the upload survived the bad chunks
	if r := tr.do("GET", loc, nil); r.header.Get("Range") != "0-9" {
		t.Fatalf("upload damaged by hostile chunks: %s", r)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("files appeared beside the storage root: %v", entries)
	}
}

func TestReadOnlyAndNoDelete(t *testing.T) {
	tr := newTestRegistry(t, Config{ReadOnly: true})
	tr.expect(tr.do("GET", "/v2/", nil), 200, "")
	tr.expect(tr.do("POST", "/v2/a/blobs/uploads/", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
	tr.expect(tr.do("PUT", "/v2/a/manifests/x", []byte("{}")), http.StatusMethodNotAllowed, "UNSUPPORTED")
	tr.expect(tr.do("DELETE", "/v2/a/manifests/x", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")

	tr = newTestRegistry(t, Config{NoDelete: true})
	d := tr.pushBlob("a", []byte("x"))
	tr.expect(tr.do("DELETE", "/v2/a/blobs/"+d.String(), nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
	tr.expect(tr.do("GET", "/v2/a/blobs/"+d.String(), nil), 200, "")
}
