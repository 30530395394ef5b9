//go:build !linux

package archive

import (
	"context"
	"fmt"
	"io"

	"github.com/berthproject/berth/errdefs"
)

var errNotLinux = fmt.Errorf("layer archives are only supported on linux: %w", errdefs.ErrNotImplemented)

// Apply unpacks a layer tar into root.
func Apply(ctx context.Context, root string, r io.Reader, opts ApplyOptions) (int64, error) {
	return 0, errNotLinux
}

// WriteOverlayDiff writes the changes held in an overlay upperdir.
func WriteOverlayDiff(ctx context.Context, w io.Writer, upperdir string) error { return errNotLinux }

// WriteDiff writes the changes from parent to dir.
func WriteDiff(ctx context.Context, w io.Writer, dir, parent string) error { return errNotLinux }
