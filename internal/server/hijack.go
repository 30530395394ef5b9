package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/moby/moby/api/types"
	"github.com/moby/term"
)

// hijackedConn is an attach or exec connection taken over from net/http.
type hijackedConn struct {
	conn    net.Conn
	in      io.Reader // what the client sends, including bytes net/http already buffered
	untrack func()
	unwatch func()
}

// hijackContext returns the context of a request that will hijack its
// connection. Until release is called (at the hijack) it ends with the
// request; after, only with cancel, a hang-up or shutdown: net/http cancels
// a hijacked request's context when the handler returns or when its
// buffered reader sees the client half-close, which is not the end of an
// attach.
func (s *Server) hijackContext(r *http.Request) (ctx context.Context, cancel context.CancelFunc, release func()) {
	ctx, cancel = s.streamContext(context.WithoutCancel(r.Context()))
	stop := context.AfterFunc(r.Context(), cancel)
	return ctx, cancel, func() { stop() }
}

// hijack takes the connection over and writes the response head the way
// dockerd does: "101 UPGRADED" with Upgrade: tcp when the client asked for
// an upgrade (its Content-Type says whether the stream is multiplexed),
// else a bare "200 OK" raw stream for old clients. The server's headers
// follow. hangup is called if the client closes the connection.
func (s *Server) hijack(w http.ResponseWriter, r *http.Request, multiplexed bool, hangup func()) (*hijackedConn, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("hijack connection: %w", err)
	}
	_ = conn.SetDeadline(time.Time{})
	// Read the client directly: brw.Reader wraps net/http's connection
	// reader, whose EOF handling cancels the request context. Keep what it
	// already buffered.
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	in := io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), conn)
	head := "HTTP/1.1 200 OK\r\nContent-Type: " + types.MediaTypeRawStream + "\r\n"
	if _, upgrade := r.Header["Upgrade"]; upgrade {
		ct := types.MediaTypeRawStream
		if multiplexed && versionAtLeast(r, "1.42") {
			ct = types.MediaTypeMultiplexedStream
		}
		head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + ct + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
	}
	hc := &hijackedConn{conn: conn, in: in, untrack: s.trackConn(conn)}
	hc.unwatch = watchHangup(conn, hangup)
	if _, err := io.WriteString(conn, head); err == nil {
		h := w.Header().Clone()
		h.Del("Content-Type")
		_ = h.Write(conn)
		_, err = io.WriteString(conn, "\r\n")
	}
	if err != nil {
		hc.close()
		return nil, err
	}
	return hc, nil
}

// streams builds the backend's view of the connection. With a terminal
// the output is raw (stdout and stderr share it) and stdin is watched for
// the detach keys; without one, output is stdcopy-framed. detach is called
// when the client types the detach keys.
func (hc *hijackedConn) streams(tty, stdin, stdout, stderr bool, keys []byte, detach func()) AttachStreams {
	var st AttachStreams
	if stdin {
		var in io.Reader = hc.in
		if tty && len(keys) > 0 {
			in = &detachReader{r: term.NewEscapeProxy(hc.in, keys), detach: detach}
		}
		st.Stdin = in
	}
	var out, errw io.Writer
	if tty {
		lw := &lockedWriter{mu: &sync.Mutex{}, w: hc.conn}
		out, errw = lw, lw
	} else {
		out, errw, _ = newMuxWriters(hc.conn)
	}
	if stdout {
		st.Stdout = out
	}
	if stderr {
		st.Stderr = errw
	}
	return st
}

// close ends the stream: the client reads EOF, then the connection closes.
func (hc *hijackedConn) close() {
	hc.unwatch()
	if cw, ok := hc.conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = hc.conn.Close()
	hc.untrack()
}

// errDetached is what stdin returns after the client typed the detach keys.
var errDetached = errors.New("detached from the container")

// detachReader reports the detach keys as errDetached (not io.EOF, which
// means the client half-closed) and calls detach once.
type detachReader struct {
	r      io.Reader
	detach func()
	once   sync.Once
}

func (d *detachReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	var esc term.EscapeError
	if errors.As(err, &esc) {
		d.once.Do(d.detach)
		return n, errDetached
	}
	return n, err
}

// detachKeys parses detach keys in the CLI's syntax ("ctrl-p,ctrl-q").
func detachKeys(s string) ([]byte, error) {
	keys, err := term.ToBytes(s)
	if err != nil {
		return nil, invalidf("Invalid detach keys (%s) provided", s)
	}
	return keys, nil
}
