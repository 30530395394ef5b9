package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berthproject/berth/errdefs"
)

// Measure reads an uncompressed layer tar to its end without applying it
// and returns the size Apply would report.
func Measure(ctx context.Context, r io.Reader) (int64, error) {
	tr := tar.NewReader(r)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read layer tar: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		size += entrySize(hdr)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return 0, fmt.Errorf("read layer tar: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	return size, nil
}

// entrySize is what one entry adds to a layer's size, as dockerd's overlay2
// measures it: regular files and symlinks (whiteouts are empty files).
func entrySize(hdr *tar.Header) int64 {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return hdr.Size
	case tar.TypeSymlink:
		return int64(len(hdr.Linkname))
	}
	return 0
}
