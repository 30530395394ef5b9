package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// MaxMessage is the largest message dockerd writes: longer lines are split
// into MaxMessage-byte chunks without a newline (docker's 16 KiB buffer).
const MaxMessage = 16 * 1024

// Writer appends json-file entries to a log file and rotates it. It is safe
// for concurrent use (stdout and stderr share one Writer).
type Writer struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxSize  int64
	maxFiles int
	now      func() time.Time
}

// bufPool holds encoding buffers so that idle containers keep none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Open opens (creating, with its directory) the log file at path for
// appending. maxSize > 0 rotates the file once it reaches maxSize bytes,
// keeping maxFiles files in all (path, path.1, ... path.<maxFiles-1>); with
// maxFiles < 2 the file is truncated instead. maxSize <= 0 never rotates.
func Open(path string, maxSize int64, maxFiles int) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o710); err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log file: %w", err)
	}
	return &Writer{path: path, f: f, size: st.Size(), maxSize: maxSize, maxFiles: maxFiles, now: time.Now}, nil
}

// WriteMessage writes one entry. line should be at most MaxMessage bytes
// (Stream does the splitting); t is converted to UTC.
func (w *Writer) WriteMessage(stream string, line []byte, t time.Time) error {
	bp := bufPool.Get().(*[]byte)
	b := appendEntry((*bp)[:0], line, stream, t)
	err := w.write(b)
	if cap(b) <= 64*1024 {
		*bp = b
		bufPool.Put(bp)
	}
	return err
}

func (w *Writer) write(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("log file %s: %w", w.path, os.ErrClosed)
	}
	if w.maxSize > 0 && w.size >= w.maxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	return nil
}

// rotate shifts path.N-2 -> path.N-1 ... path -> path.1 and starts a new
// file (or truncates the only one), as dockerd does before a write that
// finds the file full.
func (w *Writer) rotate() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	w.f = nil
	if w.maxFiles >= 2 {
		for i := w.maxFiles - 1; i > 1; i-- {
			if err := os.Rename(w.path+"."+strconv.Itoa(i-1), w.path+"."+strconv.Itoa(i)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("rotate log: %w", err)
			}
		}
		if err := os.Rename(w.path, w.path+".1"); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	w.f, w.size = f, 0
	return nil
}

// Close closes the file. Later writes fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Stream returns a writer that turns the bytes of one output stream
// ("stdout" or "stderr") into messages: one per line, lines longer than
// MaxMessage split, and the rest written without newline on Close. It is
// not safe for concurrent use; give each stream its own.
func (w *Writer) Stream(name string) *Stream {
	return &Stream{w: w, name: name}
}

// Stream splits one output stream into log messages; see Writer.Stream.
type Stream struct {
	w    *Writer
	name string
	// pending holds an incomplete line; it is nil when there is none, so an
	// idle stream holds no buffer.
	pending  []byte
	err      error
	reported bool
}

// Write logs every complete line of p (and of what was pending), in one
// write to the file. It always consumes all of p; a failing log file is
// reported once and then ignored, so output keeps flowing to attachers.
func (s *Stream) Write(p []byte) (int, error) {
	t := s.w.now()
	n := len(p)
	if len(s.pending) > 0 {
		p = append(s.pending, p...)
		s.pending = nil
	}
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		switch {
		case i >= 0 && i < MaxMessage:
			b = appendEntry(b, p[:i+1], s.name, t)
			p = p[i+1:]
		case len(p) >= MaxMessage:
			b = appendEntry(b, p[:MaxMessage], s.name, t)
			p = p[MaxMessage:]
		default:
			s.pending = append(make([]byte, 0, len(p)), p...)
			p = nil
		}
	}
	if len(b) > 0 {
		s.record(s.w.write(b))
	}
	if cap(b) <= 64*1024 {
		*bp = b
		bufPool.Put(bp)
	}
	return n, s.takeErr()
}

// Close writes a pending incomplete line, without newline.
func (s *Stream) Close() error {
	if len(s.pending) > 0 {
		s.record(s.w.WriteMessage(s.name, s.pending, s.w.now()))
		s.pending = nil
	}
	return s.takeErr()
}

func (s *Stream) record(err error) {
	if err != nil && s.err == nil {
		s.err = err
	}
}

// takeErr returns the first write error once.
func (s *Stream) takeErr() error {
	if s.err == nil || s.reported {
		return nil
	}
	s.reported = true
	return s.err
}
