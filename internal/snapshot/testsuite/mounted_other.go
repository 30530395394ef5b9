//go:build !linux

package testsuite

import (
	"testing"

	"github.com/berthproject/berth/internal/mount"
)

func withMounted(t *testing.T, mounts []mount.Mount, fn func(dir string) error) {
	t.Helper()
	if len(mounts) == 1 && mounts[0].Type == "bind" {
		if err := fn(mounts[0].Source); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Skip("mounting needs linux")
}
