package inmemory

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/storage/driver"
)

type file struct {
	data    []byte
	modTime time.Time
}

// Driver keeps files in a map. Directories are implied by the files below
// them, as the contract says.
type Driver struct {
	mu    sync.RWMutex
	files map[string]*file
}

var _ driver.Driver = (*Driver)(nil)

// New returns an empty in-memory driver.
func New() *Driver { return &Driver{files: map[string]*file{}} }

// Name implements driver.Driver.
func (d *Driver) Name() string { return "inmemory" }

func check(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return driver.CheckPath(p)
}

// isDir reports whether some file lives below p. Callers hold d.mu.
func (d *Driver) isDir(p string) bool {
	if p == "/" {
		return true
	}
	prefix := p + "/"
	for k := range d.files {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// fileConflict reports whether a file sits at p or at one of its parents,
// which would make creating p impossible on a real file system.
func (d *Driver) fileConflict(p string) bool {
	for dir := p; dir != "/"; dir = parent(dir) {
		if dir != p {
			if _, ok := d.files[dir]; ok {
				return true
			}
		}
	}
	return d.isDir(p)
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// GetContent implements driver.Driver.
func (d *Driver) GetContent(ctx context.Context, p string) ([]byte, error) {
	if err := check(ctx, p); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	f, ok := d.files[p]
	if !ok {
		return nil, driver.NotFound(p)
	}
	return slices.Clone(f.data), nil
}

// PutContent implements driver.Driver.
func (d *Driver) PutContent(ctx context.Context, p string, content []byte) error {
	if err := check(ctx, p); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fileConflict(p) {
		return fmt.Errorf("write %s: %w", p, errdefs.ErrConflict)
	}
	d.files[p] = &file{data: slices.Clone(content), modTime: time.Now()}
	return nil
}

// Reader implements driver.Driver. The reader sees the content as it was
// when opened.
func (d *Driver) Reader(ctx context.Context, p string) (io.ReadSeekCloser, error) {
	if err := check(ctx, p); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	f, ok := d.files[p]
	if !ok {
		return nil, driver.NotFound(p)
	}
	return nopCloser{bytes.NewReader(f.data[:len(f.data):len(f.data)])}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// Stat implements driver.Driver.
func (d *Driver) Stat(ctx context.Context, p string) (driver.FileInfo, error) {
	if err := check(ctx, p); err != nil {
		return driver.FileInfo{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if f, ok := d.files[p]; ok {
		return driver.FileInfo{Path: p, Size: int64(len(f.data)), ModTime: f.modTime}, nil
	}
	if d.isDir(p) {
		return driver.FileInfo{Path: p, IsDir: true, ModTime: d.dirModTime(p)}, nil
	}
	return driver.FileInfo{}, driver.NotFound(p)
}

// dirModTime is the newest modification time below p. Callers hold d.mu.
func (d *Driver) dirModTime(p string) time.Time {
	var t time.Time
	prefix := strings.TrimSuffix(p, "/") + "/"
	for k, f := range d.files {
		if strings.HasPrefix(k, prefix) && f.modTime.After(t) {
			t = f.modTime
		}
	}
	return t
}

// List implements driver.Driver.
func (d *Driver) List(ctx context.Context, p string) ([]string, error) {
	if err := check(ctx, p); err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, ok := d.files[p]; ok || !d.isDir(p) {
		return nil, driver.NotFound(p)
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	seen := map[string]bool{}
	for k := range d.files {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			name, _, _ := strings.Cut(rest, "/")
			seen[name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// Move implements driver.Driver.
func (d *Driver) Move(ctx context.Context, src, dst string) error {
	if err := check(ctx, src); err != nil {
		return err
	}
	if err := driver.CheckPath(dst); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.files[src]
	if !ok {
		if d.isDir(src) {
			return fmt.Errorf("move of directory %s: %w", src, errdefs.ErrNotImplemented)
		}
		return driver.NotFound(src)
	}
	if src == dst {
		return nil
	}
	if d.fileConflict(dst) {
		return fmt.Errorf("move %s to %s: %w", src, dst, errdefs.ErrConflict)
	}
	delete(d.files, src)
	d.files[dst] = f
	return nil
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, p string) error {
	if err := check(ctx, p); err != nil {
		return err
	}
	if p == "/" {
		return fmt.Errorf("delete of the storage root: %w", errdefs.ErrInvalidArgument)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.files[p]; ok {
		delete(d.files, p)
		return nil
	}
	prefix := p + "/"
	found := false
	for k := range d.files {
		if strings.HasPrefix(k, prefix) {
			delete(d.files, k)
			found = true
		}
	}
	if !found {
		return driver.NotFound(p)
	}
	return nil
}

// Walk implements driver.Driver. It works on a snapshot of the paths taken
// when it starts, so fn may modify the driver.
func (d *Driver) Walk(ctx context.Context, p string, fn driver.WalkFunc) error {
	if err := check(ctx, p); err != nil {
		return err
	}
	entries, err := d.snapshot(p)
	if err != nil {
		return err
	}
	skip := ""
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if skip != "" && strings.HasPrefix(e.Path, skip) {
			continue
		}
		skip = ""
		err := fn(e)
		if err == driver.ErrSkipDir {
			if e.IsDir {
				skip = e.Path + "/"
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// snapshot lists every file and implied directory below p in lexical
// order of their components (the order a directory walk produces).
func (d *Driver) snapshot(p string) ([]driver.FileInfo, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if _, ok := d.files[p]; ok || !d.isDir(p) {
		if ok {
			return nil, nil
		}
		return nil, driver.NotFound(p)
	}
	prefix := strings.TrimSuffix(p, "/") + "/"
	dirs := map[string]bool{}
	var out []driver.FileInfo
	for k, f := range d.files {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		out = append(out, driver.FileInfo{Path: k, Size: int64(len(f.data)), ModTime: f.modTime})
		for dir := parent(k); dir != p && dir != "/"; dir = parent(dir) {
			dirs[dir] = true
		}
	}
	for dir := range dirs {
		out = append(out, driver.FileInfo{Path: dir, IsDir: true, ModTime: d.dirModTime(dir)})
	}
	slices.SortFunc(out, func(a, b driver.FileInfo) int {
		return slices.Compare(strings.Split(a.Path, "/"), strings.Split(b.Path, "/"))
	})
	return out, nil
}

// Writer implements driver.Driver. Written bytes become visible at path as
// they are written.
func (d *Driver) Writer(ctx context.Context, p string, append bool) (driver.FileWriter, error) {
	if err := check(ctx, p); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.files[p]
	switch {
	case append && !ok:
		return nil, driver.NotFound(p)
	case !append:
		if d.fileConflict(p) {
			return nil, fmt.Errorf("writer %s: %w", p, errdefs.ErrConflict)
		}
		f = &file{modTime: time.Now()}
		d.files[p] = f
	}
	return &writer{d: d, f: f, path: p}, nil
}

type writer struct {
	d      *Driver
	f      *file
	path   string
	closed bool
}

func (w *writer) Write(b []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: %w", w.path, fs.ErrClosed)
	}
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	if w.d.files[w.path] != w.f {
		return 0, fmt.Errorf("write %s: file was replaced: %w", w.path, errdefs.ErrConflict)
	}
	// Appending never changes bytes a reader already holds (readers keep a
	// slice of the length they saw), so no copy is needed.
	w.f.data = append(w.f.data, b...)
	w.f.modTime = time.Now()
	return len(b), nil
}

func (w *writer) Size() int64 {
	w.d.mu.RLock()
	defer w.d.mu.RUnlock()
	return int64(len(w.f.data))
}

func (w *writer) Commit(ctx context.Context) error {
	if w.closed {
		return fmt.Errorf("commit %s: %w", w.path, fs.ErrClosed)
	}
	return ctx.Err()
}

func (w *writer) Cancel(ctx context.Context) error {
	w.closed = true
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	if w.d.files[w.path] == w.f {
		delete(w.d.files, w.path)
	}
	return nil
}

func (w *writer) Close() error {
	w.closed = true
	return nil
}
