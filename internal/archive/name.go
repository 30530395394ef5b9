package archive

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/berthproject/berth/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
)

// Whiteout markers of the OCI image layer format.
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// cleanName turns a tar entry name into a clean path relative to the root:
// "/a/b/" and "./a/b" become "a/b", the root itself is ".". A name that
// climbs out of the root is an error.
func cleanName(name string) (string, error) {
	c := path.Clean("/" + name)
	rel := strings.TrimPrefix(c, "/")
	if rel == "" {
		rel = "."
	}
	// Clean("/"+name) cannot climb above "/", so detect climbing lexically.
	depth := 0
	for _, part := range strings.Split(name, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return "", fmt.Errorf("tar entry %q climbs out of the root: %w", name, errdefs.ErrInvalidArgument)
			}
		default:
			depth++
		}
	}
	return rel, nil
}

// SecureJoin joins unsafePath to root the way a process chrooted at root
// would resolve it: ".." stops at root and symlinks are resolved inside root.
// The result is inside root; the final component is resolved too when it is
// a symlink. root must be a clean path that the caller controls.
func SecureJoin(root, unsafePath string) (string, error) {
	p, err := securejoin.SecureJoin(filepath.Clean(root), unsafePath)
	if err != nil {
		return "", fmt.Errorf("join %q to %s: %w", unsafePath, root, err)
	}
	return p, nil
}
