package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteDiff writes the changes from the tree parent to the tree dir as an
// uncompressed layer tar (for snapshotters that keep full copies, such as
// native). Entries new in dir or different from parent (type, mode, owner,
// size, modification time, link target or device number; not xattrs alone)
// are written; entries of parent missing from dir become ".wh." whiteouts.
// parent "" means an empty tree. Neither tree may change meanwhile.
func WriteDiff(ctx context.Context, w io.Writer, dir, parent string) error {
	tw := newDiffWriter(w)
	if err := addChanges(ctx, tw, dir, parent); err != nil {
		return fmt.Errorf("diff of %s: %w", dir, err)
	}
	if parent != "" {
		if err := addDeletions(ctx, tw, dir, parent); err != nil {
			return fmt.Errorf("diff of %s: %w", dir, err)
		}
	}
	return tw.Close()
}

// addChanges writes what dir adds or changes. Below an entry that is new or
// changed type, nothing of parent is consulted: parent may have a symlink
// there, which must not be followed.
func addChanges(ctx context.Context, tw *diffWriter, dir, parent string) error {
	var newTree string // rel of a directory whose subtree is all new, "" for none
	return walkRel(ctx, dir, func(rel, p string, d fs.DirEntry) error {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if newTree != "" && !isUnder(rel, newTree) {
			newTree = ""
		}
		if newTree == "" && parent != "" {
			var pst unix.Stat_t
			perr := unix.Lstat(filepath.Join(parent, rel), &pst)
			if perr == nil && !changed(p, filepath.Join(parent, rel), &st, &pst) {
				return nil
			}
			if perr != nil && !errors.Is(perr, unix.ENOENT) {
				return &os.PathError{Op: "lstat", Path: filepath.Join(parent, rel), Err: perr}
			}
			if d.IsDir() && (perr != nil || pst.Mode&unix.S_IFMT != unix.S_IFDIR) {
				newTree = rel
			}
		}
		return tw.add(filepath.ToSlash(rel), p, &st)
	})
}

// addDeletions writes a whiteout for each entry of parent that dir lacks
// (one for a whole missing directory).
func addDeletions(ctx context.Context, tw *diffWriter, dir, parent string) error {
	return walkRel(ctx, parent, func(rel, p string, d fs.DirEntry) error {
		var st unix.Stat_t
		err := unix.Lstat(filepath.Join(dir, rel), &st)
		switch {
		case errors.Is(err, unix.ENOENT):
			var pst unix.Stat_t
			if err := unix.Lstat(p, &pst); err != nil {
				return err
			}
			slash := filepath.ToSlash(rel)
			if err := tw.whiteout(path.Join(path.Dir(slash), whiteoutPrefix+path.Base(slash)), &pst); err != nil {
				return err
			}
		case err != nil:
			return err
		case d.IsDir() && st.Mode&unix.S_IFMT == unix.S_IFDIR:
			return nil // both directories: compare inside
		}
		if d.IsDir() {
			return filepath.SkipDir // gone, or replaced by a non-directory written by addChanges
		}
		return nil
	})
}

func isUnder(rel, dir string) bool {
	return len(rel) > len(dir) && rel[:len(dir)] == dir && rel[len(dir)] == filepath.Separator
}

// changed reports whether the entry at p differs from the one at pp.
func changed(p, pp string, st, pst *unix.Stat_t) bool {
	if st.Mode != pst.Mode || st.Uid != pst.Uid || st.Gid != pst.Gid {
		return true
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return st.Size != pst.Size || st.Mtim != pst.Mtim
	case unix.S_IFDIR:
		return st.Mtim != pst.Mtim
	case unix.S_IFLNK:
		a, err1 := os.Readlink(p)
		b, err2 := os.Readlink(pp)
		return err1 != nil || err2 != nil || a != b
	case unix.S_IFCHR, unix.S_IFBLK:
		return st.Rdev != pst.Rdev
	}
	return false
}

// walkRel walks the tree under root (not root itself) in lexical order,
// calling fn with each entry's path relative to root, and stops when ctx ends.
func walkRel(ctx context.Context, root string, fn func(rel, p string, d fs.DirEntry) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		return fn(rel, p, d)
	})
}
