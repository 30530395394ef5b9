//go:build !linux

package native

import (
	"context"
	"fmt"

	"github.com/berthproject/berth/errdefs"
)

func copyTree(ctx context.Context, src, dst string) error {
	return fmt.Errorf("native snapshots are only supported on linux: %w", errdefs.ErrNotImplemented)
}
