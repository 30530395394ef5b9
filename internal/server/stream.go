package server

import (
	"encoding/binary"
	"io"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// muxWriter frames each Write as one stdcopy frame of its stream:
// an 8-byte header [stream, 0, 0, 0, size (big endian uint32)] and the
// payload. Writers of one connection share a mutex so frames never
// interleave. (moby's api module only ships the reading side, StdCopy.)
type muxWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	stream stdcopy.StdType
}

// newMuxWriters returns the stdout, stderr and system-error writers of one
// multiplexed stream on w.
func newMuxWriters(w io.Writer) (stdout, stderr, syserr io.Writer) {
	mu := &sync.Mutex{}
	return &muxWriter{mu, w, stdcopy.Stdout}, &muxWriter{mu, w, stdcopy.Stderr}, &muxWriter{mu, w, stdcopy.Systemerr}
}

// maxFrame keeps frames to a size clients buffer comfortably.
const maxFrame = 32 << 10

func (m *muxWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxFrame)
		buf := make([]byte, 8+n)
		buf[0] = byte(m.stream)
		binary.BigEndian.PutUint32(buf[4:], uint32(n))
		copy(buf[8:], p[:n])
		if _, err := m.w.Write(buf); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// lockedWriter serialises writes of several producers (stdout and stderr
// of a terminal share one raw stream).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
