package client

import (
	"errors"
	"fmt"
	"strings"
)

// Reference is a parsed, normalised image reference
// ([domain/]path[:tag][@digest]), what github.com/distribution/reference
// gives, hand-written here because that package compiles a dozen regular
// expressions at start-up (about a millisecond of every CLI invocation).
// The grammar and error messages are the same; the tests compare the two.
type Reference struct {
	Domain string // "docker.io" for Docker Hub
	Path   string // "library/busybox"
	Tag    string // "" when absent
	Digest string // "sha256:..." when present
}

const (
	defaultDomain = "docker.io"
	maxNameLength = 255
)

// The reference errors, with distribution/reference's messages.
var (
	ErrReferenceInvalidFormat = errors.New("invalid reference format")
	ErrNameTooLong            = fmt.Errorf("repository name must not be more than %d characters", maxNameLength)
	ErrNameContainsUppercase  = errors.New("repository name must be lowercase")
)

// ParseNormalizedNamed parses a reference as the docker CLI does: Docker
// Hub is the default domain and "library/" the default namespace.
func ParseNormalizedNamed(s string) (Reference, error) {
	if isHex64(s) {
		return Reference{}, fmt.Errorf("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	domain, rest := splitDomain(s)
	remote, _, _ := strings.Cut(rest, ":")
	if strings.ToLower(remote) != remote {
		return Reference{}, fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", remote)
	}
	return parse(domain, rest, s)
}

// IsImageID reports whether s is a full 64-hex-digit image ID (or a
// "sha256:" digest), which names an image but is not a named reference.
func IsImageID(s string) bool {
	if isHex64(s) {
		return true
	}
	algo, hex, ok := strings.Cut(s, ":")
	return ok && algo == "sha256" && isHex64(hex)
}

// parseAny accepts an image ID or digest as well as a named reference
// (distribution/reference's ParseAnyReference); named reports which.
func parseAny(s string) (named bool, err error) {
	if IsImageID(s) {
		return false, nil
	}
	if algo, _, ok := strings.Cut(s, ":"); ok && !strings.ContainsAny(s, "/@") && validDigest(s) && algo != "" {
		if err := checkDigest(s); err == nil {
			return false, nil
		}
	}
	_, err = ParseNormalizedNamed(s)
	return err == nil, err
}

// ParseAny parses what `run` and `create` accept as an image: an ID, a
// digest, or a named reference. named is false for IDs and digests.
func ParseAny(s string) (ref Reference, named bool, err error) {
	if named, err = parseAny(s); err != nil || !named {
		return Reference{}, false, err
	}
	ref, err = ParseNormalizedNamed(s)
	return ref, true, err
}

func splitDomain(name string) (domain, rest string) {
	i := strings.IndexByte(name, '/')
	if i == -1 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, rest = defaultDomain, name
	} else {
		domain, rest = name[:i], name[i+1:]
	}
	if domain == "index.docker.io" {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain, rest
}

// parse validates "path[:tag][@digest]" under domain.
func parse(domain, rest, orig string) (Reference, error) {
	r := Reference{Domain: domain}
	rest, r.Digest, _ = strings.Cut(rest, "@")
	r.Path, r.Tag, _ = strings.Cut(rest, ":")
	hasTag, hasDigest := strings.Contains(rest, ":"), strings.Contains(orig, "@")
	switch {
	case orig == "":
		return Reference{}, ErrReferenceInvalidFormat
	case !wellFormed(domain, r.Path, r.Tag, r.Digest, hasTag, hasDigest):
		if wellFormed(strings.ToLower(domain), strings.ToLower(r.Path), strings.ToLower(r.Tag), strings.ToLower(r.Digest), hasTag, hasDigest) {
			return Reference{}, ErrNameContainsUppercase
		}
		return Reference{}, ErrReferenceInvalidFormat
	case len(r.Path) > maxNameLength:
		return Reference{}, ErrNameTooLong
	}
	if hasDigest {
		if err := checkDigest(r.Digest); err != nil {
			return Reference{}, err
		}
	}
	return r, nil
}

func wellFormed(domain, path, tag, digest string, hasTag, hasDigest bool) bool {
	return validDomain(domain) && validPath(path) && (!hasTag || validTag(tag)) && (!hasDigest || validDigest(digest))
}

// Name is the full repository name ("docker.io/library/busybox").
func (r Reference) Name() string { return r.Domain + "/" + r.Path }

// FamiliarName is the short form users type ("busybox", "example.com/x").
func (r Reference) FamiliarName() string {
	if r.Domain != defaultDomain {
		return r.Name()
	}
	if p, ok := strings.CutPrefix(r.Path, "library/"); ok && !strings.Contains(p, "/") {
		return p
	}
	return r.Path
}

// FamiliarString is FamiliarName with the tag and digest.
func (r Reference) FamiliarString() string { return r.FamiliarName() + r.suffix() }

// String is the fully qualified reference.
func (r Reference) String() string { return r.Name() + r.suffix() }

func (r Reference) suffix() string {
	s := ""
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// WithDefaultTag adds the "latest" tag to a reference with neither tag
// nor digest (distribution/reference's TagNameOnly).
func (r Reference) WithDefaultTag() Reference {
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if !isHexLower(s[i]) {
			return false
		}
	}
	return true
}

func isHexLower(c byte) bool   { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// validDomain: host[:port], host being dot-separated labels or [IPv6].
func validDomain(d string) bool {
	host, port := d, ""
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 || !validIPv6(d[1:end]) {
			return false
		}
		host, port = "", d[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
	} else if i := strings.IndexByte(d, ':'); i >= 0 {
		host, port = d[:i], d[i+1:]
		if port == "" {
			return false
		}
	}
	for i := range len(port) {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	if host == "" {
		return strings.HasPrefix(d, "[")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return false
		}
		for i := range len(label) {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func validIPv6(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(isHexLower(c) || c >= 'A' && c <= 'F' || c == ':') {
			return false
		}
	}
	return true
}

// validPath: components of lower-case alphanumerics joined by ".", "_",
// "__" or runs of "-".
func validPath(p string) bool {
	if p == "" {
		return false
	}
	for _, comp := range strings.Split(p, "/") {
		if comp == "" || !isLowerAlnum(comp[0]) || !isLowerAlnum(comp[len(comp)-1]) {
			return false
		}
		for i := 0; i < len(comp); {
			if isLowerAlnum(comp[i]) {
				i++
				continue
			}
			j := i
			for j < len(comp) && !isLowerAlnum(comp[j]) {
				j++
			}
			if sep := comp[i:j]; sep != "." && sep != "_" && sep != "__" && strings.Trim(sep, "-") != "" {
				return false
			}
			i = j
		}
	}
	return true
}

// validTag: a word character, then up to 127 word characters, dots or dashes.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || !(isAlnum(t[0]) || t[0] == '_') {
		return false
	}
	for i := range len(t) {
		if !(isAlnum(t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-') {
			return false
		}
	}
	return true
}

// validDigest: algorithm ":" at least 32 hex digits (the reference grammar).
func validDigest(d string) bool {
	algo, enc, ok := strings.Cut(d, ":")
	if !ok || len(enc) < 32 || algo == "" {
		return false
	}
	for _, part := range strings.FieldsFunc(algo, func(r rune) bool { return r == '-' || r == '_' || r == '+' || r == '.' }) {
		if !(part[0] >= 'a' && part[0] <= 'z' || part[0] >= 'A' && part[0] <= 'Z') {
			return false
		}
	}
	for i := range len(enc) {
		if !(isHexLower(enc[i]) || enc[i] >= 'A' && enc[i] <= 'F') {
			return false
		}
	}
	return true
}

// checkDigest is go-digest's validation of a well-formed digest.
func checkDigest(d string) error {
	algo, enc, _ := strings.Cut(d, ":")
	want, ok := map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}[algo]
	if !ok {
		return errors.New("unsupported digest algorithm")
	}
	for i := range len(enc) {
		if !isHexLower(enc[i]) {
			return errors.New("invalid checksum digest format")
		}
	}
	if len(enc) != want {
		return errors.New("invalid checksum digest length")
	}
	return nil
}
