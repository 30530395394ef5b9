package logfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// ReadOptions select what Read delivers; they are docker logs' options.
type ReadOptions struct {
	// Tail is the number of last lines to read; -1 reads all, 0 none (with
	// Follow: only new lines). Lines are counted before stream filtering,
	// as dockerd does.
	Tail int
	// Since and Until bound the messages' times (zero: unbounded). Until
	// ends the read at the first later message, even when following.
	Since, Until time.Time
	// Follow keeps reading lines as they are written, across rotations,
	// until ctx is done or Stop is closed. After Stop is closed Read drains
	// what the files hold and returns nil.
	Follow bool
	Stop   <-chan struct{}
	// Stdout and Stderr select the streams; when both are false both are read.
	Stdout, Stderr bool
}

// Read calls fn with the messages of the json-file log at path, oldest
// first, reading the rotated files path.<maxFiles-1> ... path.1 before path.
// --tail and --since are found by reading the files backwards from the end,
// so their cost is proportional to what they return. A missing log is
// empty. An error from fn stops the read and is returned. Message.Line is
// owned by fn.
func Read(ctx context.Context, path string, maxFiles int, opts ReadOptions, fn func(Message) error) error {
	if !opts.Stdout && !opts.Stderr {
		opts.Stdout, opts.Stderr = true, true
	}
	files, err := openFiles(path, maxFiles)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	r := &reader{opts: opts, fn: fn}
	idx, off, err := r.start(files)
	if err != nil {
		return err
	}
	var cur *os.File
	for i := idx; i < len(files); i++ {
		if i > idx {
			off = 0
		}
		cur = files[i]
		if off, err = r.readFrom(cur, off); err != nil || r.done {
			return ignoreDone(err)
		}
	}
	if !opts.Follow {
		return nil
	}
	if cur != nil {
		files = files[:len(files)-1] // the follower owns cur now
	}
	return ignoreDone(r.follow(ctx, path, cur, off))
}

// openFiles opens the existing files of a log, oldest first.
func openFiles(path string, maxFiles int) ([]*os.File, error) {
	var files []*os.File
	for i := maxFiles - 1; i >= 0; i-- {
		name := path
		if i > 0 {
			name = path + "." + strconv.Itoa(i)
		}
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("read log: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// reader delivers filtered messages to fn.
type reader struct {
	opts ReadOptions
	fn   func(Message) error
	// done is set once Until was passed: nothing more is to be read.
	done bool
}

// errDone ends a scan once Until was passed.
var errDone = errors.New("done")

func ignoreDone(err error) error {
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

// start finds where reading begins: file index and offset.
func (r *reader) start(files []*os.File) (int, int64, error) {
	need, since := r.opts.Tail, r.opts.Since
	if need < 0 && since.IsZero() {
		return 0, 0, nil
	}
	count := 0
	for i := len(files) - 1; i >= 0; i-- {
		off, found, err := scanBack(files[i], func(line []byte) bool {
			if count == need {
				return true
			}
			if !since.IsZero() {
				if t, ok := entryTime(line); ok && t.Before(since) {
					return true
				}
			}
			count++
			return false
		})
		if err != nil {
			return 0, 0, err
		}
		if found {
			return i, off, nil
		}
	}
	return 0, 0, nil
}

// readFrom delivers the complete lines of f from off and returns the offset
// after the last complete line.
func (r *reader) readFrom(f *os.File, off int64) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, off, 1<<62), 64<<10)
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if err != nil {
			if err == io.EOF {
				return off, nil
			}
			return off, fmt.Errorf("read log: %w", err)
		}
		if long != nil {
			line = append(long, line...)
			long = nil
		}
		off += int64(len(line))
		if err := r.deliver(line[:len(line)-1]); err != nil {
			return off, err
		}
	}
}

// deliver decodes, filters and hands one line to fn.
func (r *reader) deliver(line []byte) error {
	if len(line) == 0 {
		return nil
	}
	m, err := decodeEntry(line)
	if err != nil {
		return nil // a torn or foreign line: dockerd skips it too
	}
	o := &r.opts
	switch {
	case !o.Until.IsZero() && m.Time.After(o.Until):
		r.done = true
		return errDone
	case !o.Since.IsZero() && m.Time.Before(o.Since):
		return nil
	case m.Stream == "stdout" && !o.Stdout, m.Stream == "stderr" && !o.Stderr:
		return nil
	}
	return r.fn(m)
}

// follow reads new lines of path (starting in cur at off) until ctx is done
// or opts.Stop is closed and everything written was read.
func (r *reader) follow(ctx context.Context, path string, cur *os.File, off int64) error {
	w := newWatcher(path)
	defer w.Close()
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	stop := r.opts.Stop
	stopped := false
	poll := time.NewTimer(followPoll)
	defer poll.Stop()
	for {
		var err error
		if cur, off, err = r.catchUp(path, cur, off); err != nil || r.done {
			return err
		}
		if stopped {
			return nil
		}
		poll.Reset(followPoll)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			stopped, stop = true, nil
		case <-w.C:
		case <-poll.C:
		}
	}
}

// catchUp reads what was appended to cur and follows a rotation or a
// truncation of path. It returns the file and offset to continue from.
func (r *reader) catchUp(path string, cur *os.File, off int64) (*os.File, int64, error) {
	for {
		if cur == nil {
			f, err := os.Open(path)
			if errors.Is(err, os.ErrNotExist) {
				return nil, 0, nil
			}
			if err != nil {
				return nil, 0, fmt.Errorf("read log: %w", err)
			}
			cur, off = f, 0
		}
		var err error
		if off, err = r.readFrom(cur, off); err != nil || r.done {
			return cur, off, err
		}
		st, err := cur.Stat()
		if err != nil {
			return cur, off, fmt.Errorf("read log: %w", err)
		}
		if st.Size() < off { // truncated in place (max-file 1)
			off = 0
			continue
		}
		now, err := os.Stat(path)
		if err == nil && os.SameFile(st, now) || errors.Is(err, os.ErrNotExist) {
			return cur, off, nil
		}
		// Rotated: the writer no longer appends to cur. Read what it got
		// between our last read and the rename, then switch.
		if off, err = r.readFrom(cur, off); err != nil || r.done {
			return cur, off, err
		}
		cur.Close()
		cur = nil
	}
}

// scanBack calls fn with the complete lines of f (without '\n'), last first,
// reading backwards in blocks, until fn returns true. It returns the offset
// just after the line fn stopped at.
func scanBack(f io.ReaderAt, fn func(line []byte) bool) (int64, bool, error) {
	size, err := sizeOf(f)
	if err != nil {
		return 0, false, err
	}
	b := &backBuf{f: f, start: size}
	// Skip an incomplete last line: it is still being written.
	for {
		if i := lastNL(b.buf, len(b.buf)); i >= 0 {
			b.buf = b.buf[:i+1]
			break
		}
		if b.start == 0 {
			return 0, false, nil
		}
		if err := b.more(); err != nil {
			return 0, false, err
		}
	}
	for len(b.buf) > 0 {
		end := b.start + int64(len(b.buf))
		i := lastNL(b.buf, len(b.buf)-1)
		if i < 0 && b.start > 0 {
			if err := b.more(); err != nil {
				return 0, false, err
			}
			continue
		}
		if fn(b.buf[i+1 : len(b.buf)-1]) {
			return end, true, nil
		}
		b.buf = b.buf[:i+1]
	}
	return 0, false, nil
}

// backBuf holds the bytes [start, start+len(buf)) of a file read backwards.
type backBuf struct {
	f     io.ReaderAt
	start int64
	buf   []byte
}

const backBlock = 64 << 10

// more prepends the previous block of the file to buf.
func (b *backBuf) more() error {
	n := int64(backBlock)
	if b.start < n {
		n = b.start
	}
	nb := make([]byte, int(n)+len(b.buf))
	if _, err := b.f.ReadAt(nb[:n], b.start-n); err != nil && err != io.EOF {
		return fmt.Errorf("read log: %w", err)
	}
	copy(nb[n:], b.buf)
	b.buf, b.start = nb, b.start-n
	return nil
}

// lastNL returns the index of the last '\n' in b[:end], or -1.
func lastNL(b []byte, end int) int {
	for i := end - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

func sizeOf(f io.ReaderAt) (int64, error) {
	if s, ok := f.(interface{ Stat() (os.FileInfo, error) }); ok {
		st, err := s.Stat()
		if err != nil {
			return 0, fmt.Errorf("read log: %w", err)
		}
		return st.Size(), nil
	}
	if s, ok := f.(interface{ Size() int64 }); ok {
		return s.Size(), nil
	}
	return 0, errors.New("read log: cannot size the file")
}
