package client

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
)

// TestReferenceMatchesDistribution compares the hand-written parser with
// github.com/distribution/reference, the parser docker uses.
func TestReferenceMatchesDistribution(t *testing.T) {
	h := strings.Repeat("a", 64)
	inputs := []string{
		"busybox", "busybox:latest", "busybox:1.35", "library/busybox", "docker.io/busybox", "index.docker.io/library/busybox:x",
		"example.com/team/app:v1", "example.com:5000/app", "localhost/app", "localhost:5000/a/b/c:tag_1.0-x",
		"[::1]:5000/app:1", "[2001:db8::1]/app", "my-reg.example.com/a__b/c.d/e--f", "a_b", "a__b", "a___b", "a-b", "a--b", "a.b", "a..b",
		"Busybox", "busybox:Latest", "Example.com/app", "EXAMPLE/app", "team/App", "", ":tag", "busybox:", "busybox@", "@sha256:" + h,
		"busybox@sha256:" + h, "busybox:1@sha256:" + h, "busybox@sha256:abc", "busybox@sha512:" + strings.Repeat("b", 128),
		"busybox@sha256:" + strings.ToUpper(h), "busybox@md5:" + h, "busybox@sha256:" + h[:40], "a@sha384:" + strings.Repeat("c", 96), h, "sha256:" + h, "app:" + strings.Repeat("t", 128), "app:" + strings.Repeat("t", 129),
		strings.Repeat("a", 250) + "/b", "-app", "app-", "a/", "/a", "a//b", "host:port/a", "host:/a", "a:b:c", "UPPER",
	}
	for _, in := range inputs {
		want, wantErr := reference.ParseNormalizedNamed(in)
		got, gotErr := ParseNormalizedNamed(in)
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("%q: error %v, distribution says %v", in, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			if gotErr.Error() != wantErr.Error() {
				t.Errorf("%q: message %q, distribution %q", in, gotErr, wantErr)
			}
			continue
		}
		tagged := reference.TagNameOnly(want)
		if got.String() != want.String() || got.FamiliarName() != reference.FamiliarName(want) ||
			got.FamiliarString() != reference.FamiliarString(want) || got.WithDefaultTag().String() != tagged.String() {
			t.Errorf("%q: got %s (%s, %s), distribution %s (%s, %s)", in, got, got.FamiliarName(), got.FamiliarString(),
				want, reference.FamiliarName(want), reference.FamiliarString(want))
		}
	}
}
