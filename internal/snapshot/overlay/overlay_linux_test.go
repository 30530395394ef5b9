package overlay

import (
	"testing"

	"github.com/berthproject/berth/internal/snapshot"
	"github.com/berthproject/berth/internal/snapshot/testsuite"
	"github.com/berthproject/berth/internal/testutil"
)

// TestSuite runs the conformance suite with real overlay mounts.
func TestSuite(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedOverlay)
	testsuite.Run(t, func(t *testing.T, root string) (snapshot.Snapshotter, error) { return New(root) })
}
