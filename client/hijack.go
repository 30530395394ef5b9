package client

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// HijackedResponse is a raw bidirectional stream taken over from an HTTP
// request (attach, exec start). Read the container's output from Reader
// (multiplexed unless the container has a TTY: see MediaType and stdcopy),
// write its input to Conn, and call CloseWrite to send EOF.
type HijackedResponse struct {
	Conn      net.Conn
	Reader    *bufio.Reader
	MediaType string
}

// CloseWrite half-closes the connection so the container sees end of input.
func (h *HijackedResponse) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close closes the connection.
func (h *HijackedResponse) Close() error { return h.Conn.Close() }

// Multiplexed reports whether Reader carries stdcopy frames: always
// without a TTY. Daemons before API 1.42 label every stream
// "raw-stream", so only an explicit "multiplexed-stream" label is trusted
// over tty.
func (h *HijackedResponse) Multiplexed(tty bool) bool {
	return !tty || strings.Contains(h.MediaType, "multiplexed")
}

// hijack sends a POST on a fresh connection asking to upgrade it to a raw
// stream (like docker: "Connection: Upgrade", "Upgrade: tcp"). A daemon that
// answers 101 or a plain 200 both work: the rest of the connection is the
// stream.
func (c *Client) hijack(ctx context.Context, path string, query url.Values, in any) (*HijackedResponse, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	body, hdr, err := jsonBody(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.urlFor(path, query), body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	conn, err := c.dialRaw(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if resp.StatusCode >= 400 {
		defer conn.Close()
		return nil, errorFromResponse(resp)
	}
	h := &HijackedResponse{Conn: conn, Reader: br, MediaType: resp.Header.Get("Content-Type")}
	if resp.StatusCode != http.StatusSwitchingProtocols && len(resp.TransferEncoding) > 0 {
		// A plain chunked stream: read it through the HTTP body decoder.
		h.Reader = bufio.NewReader(resp.Body)
	}
	return h, nil
}

// readCloser pairs a reader with the closer of what it reads from.
type readCloser struct {
	io.Reader
	io.Closer
}
