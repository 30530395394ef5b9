package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

// specCodes are the error codes of the OCI distribution spec and the extra
// ones Docker's distribution registry sends (which clients know).
var specCodes = map[string]bool{
	"BLOB_UNKNOWN": true, "BLOB_UPLOAD_INVALID": true, "BLOB_UPLOAD_UNKNOWN": true, "DIGEST_INVALID": true,
	"MANIFEST_BLOB_UNKNOWN": true, "MANIFEST_INVALID": true, "MANIFEST_UNKNOWN": true, "NAME_INVALID": true,
	"NAME_UNKNOWN": true, "SIZE_INVALID": true, "UNAUTHORIZED": true, "DENIED": true, "UNSUPPORTED": true,
	"TOOMANYREQUESTS": true,
	"TAG_INVALID":     true, "RANGE_INVALID": true, "PAGINATION_NUMBER_INVALID": true, "UNAVAILABLE": true, "UNKNOWN": true,
	"NOT_FOUND": true,
}

func TestCodeTable(t *testing.T) {
	seen := map[*Code]bool{}
	for _, c := range Codes {
		if seen[c] {
			t.Errorf("%s listed twice", c.Name)
		}
		seen[c] = true
		if !specCodes[c.Name] {
			t.Errorf("code %q is not a spec or distribution code", c.Name)
		}
		if c.Status < 400 || c.Status > 599 || c.Message == "" || c.Kind == nil {
			t.Errorf("row %+v incomplete", c)
		}
		if c.Message != strings.ToLower(c.Message[:1])+c.Message[1:] || strings.HasSuffix(c.Message, ".") {
			t.Errorf("message %q: lower case, no period", c.Message)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
		msg    string
	}{
		{fmt.Errorf("blob x: %w", ErrBlobUnknown), "BLOB_UNKNOWN", 404, "blob x: blob unknown to registry"},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", ErrDigestInvalid)), "DIGEST_INVALID", 400, ""},
		{ErrManifestTooLarge, "SIZE_INVALID", 413, ""},
		{ErrRangeInvalid, "RANGE_INVALID", 416, ""},
		{fmt.Errorf("x: %w", errdefs.ErrUnauthorized), "UNAUTHORIZED", 401, ""},
		{fmt.Errorf("x: %w", errdefs.ErrPermissionDenied), "DENIED", 403, ""},
		{fmt.Errorf("x: %w", errdefs.ErrNotImplemented), "UNSUPPORTED", 405, ""},
		{fmt.Errorf("x: %w", errdefs.ErrUnavailable), "UNAVAILABLE", 503, ""},
		{errors.New("open /secret/path: disk on fire"), "UNKNOWN", 500, "unknown error"},
	}
	for _, tc := range tests {
		c, body := Lookup(tc.err)
		if c.Name != tc.code || c.Status != tc.status || body.Code != tc.code {
			t.Errorf("Lookup(%v) = %s %d, want %s %d", tc.err, c.Name, c.Status, tc.code, tc.status)
		}
		if tc.msg != "" && body.Message != tc.msg {
			t.Errorf("Lookup(%v) message %q, want %q", tc.err, body.Message, tc.msg)
		}
	}
	if !errdefs.IsNotFound(fmt.Errorf("x: %w", ErrManifestUnknown)) {
		t.Error("codes must unwrap to their errdefs kind")
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Docker-Content-Digest", "sha256:stale")
	err := WithDetail(fmt.Errorf("manifest m: %w", ErrManifestBlobUnknown), map[string]string{"digest": "sha256:abc"})
	if st := WriteError(rec, err); st != http.StatusBadRequest {
		t.Fatalf("status %d", st)
	}
	if rec.Code != 400 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Docker-Content-Digest") != "" {
		t.Fatalf("response %d %v", rec.Code, rec.Header())
	}
	var body struct {
		Errors []struct {
			Code, Message string
			Detail        map[string]string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	e := body.Errors[0]
	if e.Code != "MANIFEST_BLOB_UNKNOWN" || !strings.Contains(e.Message, "manifest m") || e.Detail["digest"] != "sha256:abc" {
		t.Fatalf("error entry %+v", e)
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want Route
		err  error
	}{
		{"/v2/", Route{Kind: KindBase}, nil},
		{"/v2", Route{Kind: KindBase}, nil},
		{"/v2/_catalog", Route{Kind: KindCatalog}, nil},
		{"/v2/a/tags/list", Route{Kind: KindTags, Name: "a"}, nil},
		{"/v2/a/b/c/manifests/latest", Route{Kind: KindManifest, Name: "a/b/c", Ref: "latest"}, nil},
		{"/v2/a/manifests/sha256:abc", Route{Kind: KindManifest, Name: "a", Ref: "sha256:abc"}, nil},
		{"/v2/a/blobs/sha256:abc", Route{Kind: KindBlob, Name: "a", Ref: "sha256:abc"}, nil},
		{"/v2/a/blobs/uploads/", Route{Kind: KindUploadStart, Name: "a"}, nil},
		{"/v2/a/blobs/uploads", Route{Kind: KindUploadStart, Name: "a"}, nil},
		{"/v2/a/blobs/uploads/0000-id", Route{Kind: KindUpload, Name: "a", Ref: "0000-id"}, nil},
		{"/v2/a/referrers/sha256:abc", Route{Kind: KindReferrers, Name: "a", Ref: "sha256:abc"}, nil},
		// names whose components look like endpoint words
		{"/v2/blobs/blobs/uploads/", Route{Kind: KindUploadStart, Name: "blobs"}, nil},
		{"/v2/x/uploads/blobs/sha256:abc", Route{Kind: KindBlob, Name: "x/uploads", Ref: "sha256:abc"}, nil},
		{"/v2/manifests/manifests/x", Route{Kind: KindManifest, Name: "manifests", Ref: "x"}, nil},
		// hostile or malformed
		{"/v2/../../etc/blobs/sha256:abc", Route{}, ErrNameInvalid},
		{"/v2/a/../b/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/a/./b/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/a//b/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/A/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/_x/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/a%2fb/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/host:5000/a/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/" + strings.Repeat("a", 256) + "/manifests/x", Route{}, ErrNameInvalid},
		{"/v2/manifests/x", Route{}, ErrNotFound},
		{"/v2/a/manifests/", Route{}, ErrNotFound},
		{"/v2/a/blobs/", Route{}, ErrNotFound},
		{"/v2/a/other/x", Route{}, ErrNotFound},
		{"/v3/a/manifests/x", Route{}, ErrNotFound},
		{"/", Route{}, ErrNotFound},
	}
	for _, tc := range tests {
		got, err := ParseRoute(tc.path)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseRoute(%q) = %+v, %v; want %v", tc.path, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRoute(%q) = %+v, %v; want %+v", tc.path, got, err, tc.want)
		}
	}
}

func TestValidators(t *testing.T) {
	for tag, ok := range map[string]bool{"latest": true, "v1.0_rc-1": true, "_x": true, strings.Repeat("a", 128): true,
		strings.Repeat("a", 129): false, ".x": false, "-x": false, "a/b": false, "": false, "a:b": false} {
		if ValidTag(tag) != ok {
			t.Errorf("ValidTag(%q) = %v", tag, !ok)
		}
	}
	good := []string{"sha256:" + strings.Repeat("a", 64), "sha512:" + strings.Repeat("0", 128)}
	bad := []string{"sha256:" + strings.Repeat("A", 64), "sha256:abc", "md5:" + strings.Repeat("a", 32),
		"sha384:" + strings.Repeat("a", 96), "sha256:totallywrong", "", "sha256", ":abc"}
	for _, d := range good {
		if _, err := ParseDigest(d); err != nil {
			t.Errorf("ParseDigest(%q): %v", d, err)
		}
	}
	for _, d := range bad {
		if _, err := ParseDigest(d); !errors.Is(err, ErrDigestInvalid) {
			t.Errorf("ParseDigest(%q) = %v, want DIGEST_INVALID", d, err)
		}
	}
}

func TestBaseMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"application/vnd.oci.image.manifest.v1+json":                MediaTypeOCIManifest,
		"Application/VND.OCI.Image.Manifest.v1+JSON; charset=utf-8": MediaTypeOCIManifest,
		"": "", "garbage;;": "garbage",
	} {
		if got := BaseMediaType(in); got != want {
			t.Errorf("BaseMediaType(%q) = %q, want %q", in, got, want)
		}
	}
}
