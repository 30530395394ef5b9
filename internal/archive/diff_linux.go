package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// WriteOverlayDiff writes the changes held in an overlay upperdir as an
// uncompressed layer tar: 0:0 character devices become ".wh.<name>"
// whiteouts and opaque directories get a ".wh..wh..opq" entry. The upperdir
// must not be in use by a running container.
func WriteOverlayDiff(ctx context.Context, w io.Writer, upperdir string) error {
	tw := newDiffWriter(w)
	err := walkRel(ctx, upperdir, func(rel, p string, d fs.DirEntry) error {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
			return tw.whiteout(path.Join(filepath.ToSlash(filepath.Dir(rel)), whiteoutPrefix+d.Name()), &st)
		}
		if err := tw.add(filepath.ToSlash(rel), p, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR && isOpaque(p) {
			return tw.whiteout(path.Join(filepath.ToSlash(rel), whiteoutOpaque), &st)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("diff of %s: %w", upperdir, err)
	}
	return tw.Close()
}

func isOpaque(dir string) bool {
	buf := make([]byte, 4)
	n, err := unix.Lgetxattr(dir, opaqueXattr, buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// diffWriter writes layer entries with numeric owners, PAX xattrs, times
// truncated to seconds (as dockerd does, for reproducible layers) and hard
// links to the first copy written.
type diffWriter struct {
	tw    *tar.Writer
	links map[[2]uint64]string
}

func newDiffWriter(w io.Writer) *diffWriter {
	return &diffWriter{tw: tar.NewWriter(w), links: map[[2]uint64]string{}}
}

func (d *diffWriter) Close() error { return d.tw.Close() }

func (d *diffWriter) whiteout(name string, st *unix.Stat_t) error {
	return d.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: name, Mode: int64(st.Mode & 0o777),
		Uid: int(st.Uid), Gid: int(st.Gid), ModTime: time.Unix(st.Mtim.Sec, 0), Format: tar.FormatPAX,
	})
}

// add writes the entry rel found at p (sockets are skipped).
func (d *diffWriter) add(rel, p string, st *unix.Stat_t) error {
	h := &tar.Header{
		Name: rel, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0), Format: tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if st.Nlink > 1 {
			k := [2]uint64{st.Dev, st.Ino}
			if first, ok := d.links[k]; ok {
				h.Typeflag, h.Linkname = tar.TypeLink, first
				return d.tw.WriteHeader(h)
			}
			d.links[k] = rel
		}
		h.Typeflag, h.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		h.Typeflag, h.Name = tar.TypeDir, rel+"/"
	case unix.S_IFLNK:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
	case unix.S_IFCHR, unix.S_IFBLK:
		h.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			h.Typeflag = tar.TypeBlock
		}
		h.Devmajor, h.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		h.Typeflag = tar.TypeFifo
	default:
		return nil
	}
	if err := addXattrs(h, p); err != nil {
		return err
	}
	if err := d.tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(d.tw, f, h.Size)
	return err
}

func addXattrs(h *tar.Header, p string) error {
	names, err := ListXattrs(p)
	if err != nil {
		return err
	}
	for _, name := range names {
		if isOverlayXattr(name) {
			continue
		}
		v, err := GetXattr(p, name)
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return err
		}
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords[paxXattr+name] = string(v)
	}
	return nil
}
