package wire

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Version is the protocol version the hello answer carries.
const Version = 1

// MaxFrame bounds a frame's kind and payload.
const MaxFrame = 1 << 20

// MaxData is the largest output or input chunk one frame carries.
const MaxData = 32 << 10

// Frame kinds.
const (
	KindRequest  byte = 'Q' // control: runner -> monitor, JSON Request
	KindResponse byte = 'R' // control and attach: monitor -> runner, JSON Response
	KindEvent    byte = 'X' // control: monitor -> runner, JSON Exit
	KindAttach   byte = 'A' // attach: runner -> monitor, JSON Attach, first frame
	KindStdin    byte = 'i' // attach: runner -> monitor, raw input
	KindStdinEOF byte = 'c' // attach: runner -> monitor, the attacher's input ended
	KindStdout   byte = '1' // attach: monitor -> runner, raw output
	KindStderr   byte = '2' // attach: monitor -> runner, raw output
	KindEnd      byte = 'E' // attach: monitor -> runner, JSON End; the output is complete
)

// ErrFrameTooLarge is returned for a frame longer than MaxFrame.
var ErrFrameTooLarge = errors.New("wire: frame too large")

// Conn frames a stream connection. Writes are safe for concurrent use; Read
// is for one reader at a time.
type Conn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
	wmu sync.Mutex
	hdr [5]byte
}

// NewConn wraps c. readBuf sizes the read buffer (small for connections that
// carry little, such as an attach without stdin).
func NewConn(c net.Conn, readBuf int) *Conn {
	return &Conn{c: c, r: bufio.NewReaderSize(c, readBuf)}
}

// Read reads one frame. The payload is valid until the next Read.
func (c *Conn) Read() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n == 0 || n > MaxFrame {
		return 0, nil, ErrFrameTooLarge
	}
	n-- // the kind byte was read with the header
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return 0, nil, unexpected(err)
	}
	p := c.buf
	if cap(c.buf) > 64<<10 {
		c.buf = nil // do not keep a rare large buffer
	}
	return hdr[4], p, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Write sends one frame.
func (c *Conn) Write(kind byte, p []byte) error {
	if len(p)+1 > MaxFrame {
		return ErrFrameTooLarge
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	binary.BigEndian.PutUint32(c.hdr[:4], uint32(len(p)+1))
	c.hdr[4] = kind
	bufs := net.Buffers{c.hdr[:], p}
	_, err := bufs.WriteTo(c.c)
	return err
}

// WriteJSON sends v as a JSON frame.
func (c *Conn) WriteJSON(kind byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: encode: %w", err)
	}
	return c.Write(kind, b)
}

// SetWriteDeadline bounds pending and future writes.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.c.SetWriteDeadline(t) }

// CloseWrite half-closes the connection when the transport supports it.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Decode unmarshals a JSON payload.
func Decode(p []byte, v any) error {
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("wire: decode: %w", err)
	}
	return nil
}
