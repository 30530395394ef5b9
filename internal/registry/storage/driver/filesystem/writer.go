package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/berthproject/berth/internal/registry/storage/driver"
)

// writebackChunk is how much a writer lets accumulate before it asks the
// kernel to start writing it back (see startWriteback): the final fsync then
// only waits for the tail instead of the whole blob.
const writebackChunk = 8 << 20

// Writer implements driver.Driver.
func (d *Driver) Writer(ctx context.Context, p string, append bool) (driver.FileWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fp, err := d.full(p)
	if err != nil {
		return nil, err
	}
	var f *os.File
	if append {
		f, err = os.OpenFile(fp, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, mapErr(p, err)
		}
	} else {
		if err := d.mkdirAll(filepath.Dir(fp)); err != nil {
			return nil, fmt.Errorf("writer %s: %w", p, err)
		}
		f, err = os.OpenFile(fp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, mapErr(p, err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, mapErr(p, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, driver.NotFound(p)
	}
	return &fileWriter{d: d, f: f, path: p, size: fi.Size(), synced: fi.Size()}, nil
}

type fileWriter struct {
	d      *Driver
	f      *os.File
	path   string
	size   int64
	synced int64 // start of the range not yet handed to writeback
	closed bool
}

func (w *fileWriter) Write(b []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: %w", w.path, fs.ErrClosed)
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	if !w.d.opts.NoSync && w.size-w.synced >= writebackChunk {
		startWriteback(w.f, w.synced, w.size-w.synced)
		w.synced = w.size
	}
	return n, err
}

func (w *fileWriter) Size() int64 { return w.size }

func (w *fileWriter) Commit(ctx context.Context) error {
	if w.closed {
		return fmt.Errorf("commit %s: %w", w.path, fs.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.d.opts.NoSync {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("commit %s: %w", w.path, err)
	}
	return nil
}

func (w *fileWriter) Cancel(ctx context.Context) error {
	if !w.closed {
		w.closed = true
		w.f.Close()
	}
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cancel %s: %w", w.path, err)
	}
	return nil
}

func (w *fileWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.f.Close()
}

func isDirErr(err error) bool {
	return errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR)
}
