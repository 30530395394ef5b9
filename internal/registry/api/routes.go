package api

import (
	_ "crypto/sha256" // digest algorithms must be linked to be Available
	_ "crypto/sha512"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Kind names an endpoint of the distribution API.
type Kind int

// The endpoints.
const (
	KindBase        Kind = iota + 1 // /v2/
	KindCatalog                     // /v2/_catalog
	KindTags                        // /v2/<name>/tags/list
	KindManifest                    // /v2/<name>/manifests/<reference>
	KindBlob                        // /v2/<name>/blobs/<digest>
	KindUploadStart                 // /v2/<name>/blobs/uploads/
	KindUpload                      // /v2/<name>/blobs/uploads/<id>
	KindReferrers                   // /v2/<name>/referrers/<digest>
)

var kindNames = map[Kind]string{
	KindBase: "base", KindCatalog: "catalog", KindTags: "tags", KindManifest: "manifest", KindBlob: "blob",
	KindUploadStart: "upload_start", KindUpload: "upload", KindReferrers: "referrers",
}

// String returns a short label for logs and metrics.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Route is a parsed request path.
type Route struct {
	Kind Kind
	Name string // repository name
	Ref  string // manifest reference, blob digest, referrers subject or upload id
}

// ParseRoute maps a request path to its endpoint. Names are parsed from the
// end of the path, since they contain slashes: the last components say
// which endpoint it is. It returns ErrNotFound for paths outside the API and
// ErrNameInvalid for a bad repository name.
func ParseRoute(path string) (Route, error) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	switch {
	case path == "/v2" || path == "/v2/":
		return Route{Kind: KindBase}, nil
	case !ok:
		return Route{}, fmt.Errorf("path %q: %w", path, ErrNotFound)
	case rest == "_catalog":
		return Route{Kind: KindCatalog}, nil
	}
	comps := strings.Split(rest, "/")
	n := len(comps)
	var r Route
	var nameEnd int
	switch {
	case n >= 4 && comps[n-3] == "blobs" && comps[n-2] == "uploads":
		r, nameEnd = Route{Kind: KindUpload, Ref: comps[n-1]}, n-3
		if r.Ref == "" {
			r.Kind = KindUploadStart
		}
	case n >= 3 && comps[n-2] == "blobs" && comps[n-1] == "uploads":
		r, nameEnd = Route{Kind: KindUploadStart}, n-2
	case n >= 3 && comps[n-2] == "tags" && comps[n-1] == "list":
		r, nameEnd = Route{Kind: KindTags}, n-2
	case n >= 3 && comps[n-2] == "manifests":
		r, nameEnd = Route{Kind: KindManifest, Ref: comps[n-1]}, n-2
	case n >= 3 && comps[n-2] == "blobs":
		r, nameEnd = Route{Kind: KindBlob, Ref: comps[n-1]}, n-2
	case n >= 3 && comps[n-2] == "referrers":
		r, nameEnd = Route{Kind: KindReferrers, Ref: comps[n-1]}, n-2
	default:
		return Route{}, fmt.Errorf("path %q: %w", path, ErrNotFound)
	}
	if r.Kind != KindUploadStart && r.Kind != KindTags && r.Ref == "" {
		return Route{}, fmt.Errorf("path %q: %w", path, ErrNotFound)
	}
	r.Name = strings.Join(comps[:nameEnd], "/")
	if err := ValidateName(r.Name); err != nil {
		return Route{}, err
	}
	return r, nil
}

// ValidateName checks a repository name: path components of lower-case
// letters and digits joined by ".", "_", "__" or dashes, separated by "/",
// at most 255 characters (distribution/reference's grammar without the
// domain part). So "..", empty components and upper case never reach
// storage.
func ValidateName(name string) error {
	if name == "" || strings.ContainsAny(name, ":[]") || strings.ToLower(name) != name {
		return fmt.Errorf("repository name %q: %w", name, ErrNameInvalid)
	}
	if _, err := reference.WithName(name); err != nil {
		return fmt.Errorf("repository name %q: %w", name, ErrNameInvalid)
	}
	return nil
}

var anchoredTag = regexp.MustCompile(`^` + reference.TagRegexp.String() + `$`)

// ValidTag reports whether s is a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func ValidTag(s string) bool { return len(s) <= 128 && anchoredTag.MatchString(s) }

// ParseDigest parses a digest with a supported algorithm (sha256, sha512)
// and a well-formed encoded part, or returns ErrDigestInvalid.
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil || (d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512) {
		return "", fmt.Errorf("digest %q: %w", s, ErrDigestInvalid)
	}
	return d, nil
}

// IsDigestRef reports whether a manifest reference is meant as a digest
// (tags cannot contain ':').
func IsDigestRef(ref string) bool { return strings.Contains(ref, ":") }

// BlobPath is the path of a blob.
func BlobPath(name string, d digest.Digest) string { return "/v2/" + name + "/blobs/" + d.String() }

// UploadPath is the path of an upload session.
func UploadPath(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

// ManifestPath is the path of a manifest.
func ManifestPath(name, ref string) string { return "/v2/" + name + "/manifests/" + ref }
