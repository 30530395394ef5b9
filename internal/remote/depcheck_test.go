package remote

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the registry client small: the standard library and
// an allowlist (go-containerregistry's depcheck habit).
func TestImports(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	allowed := []string{
		"github.com/berthproject/berth/errdefs", "github.com/berthproject/berth/internal/logging",
		"github.com/berthproject/berth/internal/remote", "github.com/distribution/reference",
		"github.com/opencontainers/go-digest", "github.com/opencontainers/image-spec/",
		"github.com/moby/moby/api/types/registry", "golang.org/x/net/", "vendor/",
	}
	for _, dep := range strings.Fields(string(out)) {
		if first, _, _ := strings.Cut(dep, "/"); !strings.Contains(first, ".") && first != "vendor" {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(dep, a)
		}
		if !ok {
			t.Errorf("internal/remote depends on %s", dep)
		}
	}
}
