package archive

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/sys/unix"
)

const opaqueXattr = "trusted.overlay.opaque"

// whiteout applies the whiteout entry base found in directory dir.
func (a *applier) whiteout(dir, base string) error {
	parent, err := a.parentDir(dir)
	if err != nil {
		return err
	}
	if base == whiteoutOpaque {
		return a.opaque(dir, parent)
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil // other AUFS metadata (.wh..wh.plnk, ...): not content
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid whiteout %q: %w", base, errdefs.ErrInvalidArgument)
	}
	target := filepath.Join(parent, name)
	rel := path.Join(dir, name)
	if err := os.RemoveAll(target); err != nil {
		return err
	}
	a.forget(rel)
	if !a.opts.Overlay {
		return nil
	}
	if err := unix.Mknod(target, unix.S_IFCHR, 0); err != nil {
		return &os.PathError{Op: "mknod whiteout", Path: target, Err: err}
	}
	a.created[rel] = true
	return nil
}

// opaque hides what the lower layers have in dir: overlay marks the upper
// directory opaque; delete mode removes every entry this layer did not write.
func (a *applier) opaque(dir, parent string) error {
	if a.opts.Overlay {
		if err := unix.Lsetxattr(parent, opaqueXattr, []byte("y"), 0); err != nil {
			return &os.PathError{Op: "setxattr " + opaqueXattr, Path: parent, Err: err}
		}
		return nil
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	for _, e := range entries {
		rel := path.Join(dir, e.Name())
		if a.created[rel] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
			return err
		}
		a.forget(rel)
	}
	return nil
}
