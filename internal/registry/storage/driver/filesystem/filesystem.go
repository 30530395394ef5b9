package filesystem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/storage/driver"
)

// tmpDir holds the temp files of PutContent. It sits beside the driver's
// namespace (driver paths cannot start with a dot), on the same file system,
// so the final rename is atomic.
const tmpDir = ".tmp"

// Options tune the driver.
type Options struct {
	// NoSync skips every fsync. Writes stay atomic with respect to crashes
	// of the process (rename), but not to power loss. For tests and for
	// like-for-like benchmarks against registries that never fsync.
	NoSync bool
}

// Driver stores files under a root directory.
type Driver struct {
	root string
	opts Options
}

var _ driver.Driver = (*Driver)(nil)

// New returns a driver rooted at root, creating it when needed.
func New(root string, opts Options) (*Driver, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("storage root %q: %w", root, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("storage root %q: %w", root, err)
	}
	return &Driver{root: abs, opts: opts}, nil
}

// Name implements driver.Driver.
func (d *Driver) Name() string { return "filesystem" }

// Root returns the root directory.
func (d *Driver) Root() string { return d.root }

func (d *Driver) full(p string) (string, error) {
	if err := driver.CheckPath(p); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(p)), nil
}

// GetContent implements driver.Driver.
func (d *Driver) GetContent(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp, err := d.full(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(fp)
	if err != nil {
		return nil, mapErr(p, err)
	}
	return b, nil
}

// PutContent implements driver.Driver: temp file, fsync, rename, fsync of
// the directory.
func (d *Driver) PutContent(ctx context.Context, p string, content []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fp, err := d.full(p)
	if err != nil {
		return err
	}
	tmp, err := d.tempFile()
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := d.closeSynced(tmp); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := d.rename(name, fp); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func (d *Driver) tempFile() (*os.File, error) {
	var b [12]byte
	rand.Read(b[:])
	name := filepath.Join(d.root, tmpDir, "put-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	return f, nil
}

func (d *Driver) closeSynced(f *os.File) error {
	if !d.opts.NoSync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// rename moves from to to (both host paths), creating to's directory, and
// makes the new directory entry durable.
func (d *Driver) rename(from, to string) error {
	dir := filepath.Dir(to)
	if err := d.mkdirAll(dir); err != nil {
		return err
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return d.syncDir(dir)
}

// mkdirAll creates dir and its missing parents, syncing each parent whose
// entries changed so the new directories survive a power loss.
func (d *Driver) mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: not a directory: %w", dir, errdefs.ErrConflict)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir && len(parent) >= len(d.root) {
		if err := d.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return d.syncDir(parent)
}

func (d *Driver) syncDir(dir string) error {
	if d.opts.NoSync {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Reader implements driver.Driver. It returns the *os.File itself.
func (d *Driver) Reader(ctx context.Context, p string) (io.ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp, err := d.full(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(fp)
	if err != nil {
		return nil, mapErr(p, err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, driver.NotFound(p)
	}
	return f, nil
}

// Stat implements driver.Driver.
func (d *Driver) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return driver.FileInfo{}, err
	}
	fp, err := d.full(p)
	if err != nil {
		return driver.FileInfo{}, err
	}
	fi, err := os.Stat(fp)
	if err != nil {
		return driver.FileInfo{}, mapErr(p, err)
	}
	return info(p, fi), nil
}

func info(p string, fi fs.FileInfo) driver.FileInfo {
	out := driver.FileInfo{Path: p, ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if !fi.IsDir() {
		out.Size = fi.Size()
	}
	return out
}

// List implements driver.Driver.
func (d *Driver) List(ctx context.Context, p string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp, err := d.full(p)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(fp)
	if err != nil {
		return nil, mapErr(p, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Move implements driver.Driver.
func (d *Driver) Move(ctx context.Context, src, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fsrc, err := d.full(src)
	if err != nil {
		return err
	}
	fdst, err := d.full(dst)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(fsrc); err != nil {
		return mapErr(src, err)
	}
	if err := d.rename(fsrc, fdst); err != nil {
		return fmt.Errorf("move %s to %s: %w", src, dst, err)
	}
	return nil
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == "/" {
		return fmt.Errorf("delete of the storage root: %w", errdefs.ErrInvalidArgument)
	}
	fp, err := d.full(p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(fp); err != nil {
		return mapErr(p, err)
	}
	if err := os.RemoveAll(fp); err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

// Walk implements driver.Driver.
func (d *Driver) Walk(ctx context.Context, p string, fn driver.WalkFunc) error {
	fp, err := d.full(p)
	if err != nil {
		return err
	}
	if _, err := os.Stat(fp); err != nil {
		return mapErr(p, err)
	}
	return filepath.WalkDir(fp, func(hp string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if hp == fp {
			return nil
		}
		if strings.HasPrefix(de.Name(), ".") {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := de.Info()
		if err != nil {
			return nil // removed while walking
		}
		rel, _ := filepath.Rel(d.root, hp)
		err = fn(info("/"+filepath.ToSlash(rel), fi))
		if errors.Is(err, driver.ErrSkipDir) {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		return err
	})
}

// PurgeTemp removes temp files of interrupted PutContent calls older than
// age and returns how many it removed. Garbage collection calls it.
func (d *Driver) PurgeTemp(ctx context.Context, age time.Duration) (int, error) {
	dir := filepath.Join(d.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < age {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}

func mapErr(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return driver.NotFound(p)
	case errors.Is(err, fs.ErrInvalid), isDirErr(err):
		return driver.NotFound(p)
	}
	return fmt.Errorf("storage path %q: %w", p, err)
}
