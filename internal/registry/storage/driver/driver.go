package driver

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// Driver is the storage-driver contract of berth-registry: a small key/value
// file system addressed by slash-separated paths ("/blobs/sha256/ab/…/data").
// The registry's storage layer is the only user; every implementation runs
// the conformance suite in package testsuite.
//
// Life cycle of content:
//   - PutContent replaces a whole file atomically: a reader sees the old
//     content or the new one, never a mix, even after a crash.
//   - Writer streams a file that grows over several requests (a blob
//     upload). Its content is not atomic; Commit makes what was written
//     durable and Close releases the writer, keeping the content so a later
//     Writer with append=true resumes at Size.
//   - Move renames a file atomically, replacing the destination; this is how
//     a verified upload becomes a content-addressed blob.
//   - Delete removes a file or a whole directory tree.
//
// Paths: absolute, "/" separated, components made of [A-Za-z0-9._-] that
// do not start with "." or "-" (drivers keep their temp files under dot
// names, invisible to List and Walk); anything else is rejected with errdefs.ErrInvalidArgument
// (defence in depth: the registry validates names before they get here).
// Directories exist implicitly while they hold a file.
//
// Errors: a missing path is errdefs.ErrNotFound; every method honours ctx
// cancellation before it starts work. Implementations are safe for
// concurrent use.
type Driver interface {
	// Name returns the driver name ("filesystem", "inmemory").
	Name() string
	// GetContent returns the whole content of the file at path.
	GetContent(ctx context.Context, path string) ([]byte, error)
	// PutContent atomically replaces the file at path with content,
	// creating parent directories.
	PutContent(ctx context.Context, path string, content []byte) error
	// Reader opens the file at path for reading from its start. The reader
	// is seekable so ranges can be served; the filesystem driver returns an
	// *os.File so net/http can use sendfile.
	Reader(ctx context.Context, path string) (io.ReadSeekCloser, error)
	// Writer opens the file at path for streaming writes. With append false
	// the file is created or truncated; with append true it must exist and
	// writes continue at its end.
	Writer(ctx context.Context, path string, append bool) (FileWriter, error)
	// Stat describes the file or directory at path.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// List returns the names (not paths) of the direct children of the
	// directory at path, sorted.
	List(ctx context.Context, path string) ([]string, error)
	// Move atomically renames src to dst, replacing dst and creating its
	// parent directories.
	Move(ctx context.Context, src, dst string) error
	// Delete removes the file or the directory tree at path.
	Delete(ctx context.Context, path string) error
	// Walk calls fn for every file and directory below path (not path
	// itself) in lexical order. fn returning ErrSkipDir on a directory skips
	// its children; any other error stops the walk and is returned.
	Walk(ctx context.Context, path string, fn WalkFunc) error
}

// FileWriter streams content into one file (see Driver.Writer).
type FileWriter interface {
	io.Writer
	// Size is the file size including what this writer wrote.
	Size() int64
	// Commit makes everything written so far durable (flush and fsync for
	// the filesystem driver).
	Commit(ctx context.Context) error
	// Cancel removes the file and releases the writer.
	Cancel(ctx context.Context) error
	// Close releases the writer, keeping the content written so far.
	Close() error
}

// FileInfo describes a stored file or directory.
type FileInfo struct {
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// WalkFunc is called by Walk for each entry.
type WalkFunc func(FileInfo) error

// ErrSkipDir is returned by a WalkFunc to skip a directory's children.
var ErrSkipDir = fmt.Errorf("skip this directory")

// CheckPath validates a driver path (see the Driver comment).
func CheckPath(p string) error {
	if p == "/" {
		return nil
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return fmt.Errorf("storage path %q: %w", p, errdefs.ErrInvalidArgument)
	}
	for comp := range strings.SplitSeq(p[1:], "/") {
		if comp == "" || comp == "." || comp == ".." || !validComponent(comp) {
			return fmt.Errorf("storage path %q: %w", p, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

func validComponent(s string) bool {
	if s[0] == '.' || s[0] == '-' {
		return false // dot names are reserved for drivers' temp files
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// NotFound returns the error drivers use for a missing path.
func NotFound(p string) error {
	return fmt.Errorf("storage path %q: %w", p, errdefs.ErrNotFound)
}
