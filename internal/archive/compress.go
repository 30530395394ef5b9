package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/berthproject/berth/errdefs"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is a layer's compression format.
type Compression int

// The compressions Decompress recognises.
const (
	Uncompressed Compression = iota
	Gzip
	Zstd
	Bzip2
	Xz
)

// String names c like the media type suffixes do.
func (c Compression) String() string {
	return [...]string{"uncompressed", "gzip", "zstd", "bzip2", "xz"}[c]
}

var magics = []struct {
	c     Compression
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b, 0x08}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{Bzip2, []byte{0x42, 0x5a, 0x68}},
	{Xz, []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}},
}

// DetectCompression reports the compression of a stream from its first bytes.
func DetectCompression(head []byte) Compression {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.c
		}
	}
	return Uncompressed
}

// Decompress returns the decompressed stream of r, detecting gzip, zstd,
// bzip2 and xz by their magic numbers (anything else is read as is). xz is
// decoded by the xz(1) program, as dockerd does; without it xz input fails
// with ErrNotImplemented. Close releases decoder resources (not r).
func Decompress(ctx context.Context, r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("read layer: %w", err)
	}
	c := DetectCompression(head)
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("gzip layer: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		return zr, c, nil
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, c, fmt.Errorf("zstd layer: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		return zr.IOReadCloser(), c, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), c, nil
	case Xz:
		rc, err := xzReader(ctx, br)
		return rc, c, err
	}
	return io.NopCloser(br), c, nil
}

// xzReader runs `xz -d -c` over r.
func xzReader(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	bin, err := exec.LookPath("xz")
	if err != nil {
		return nil, fmt.Errorf("xz layer: no xz program: %w", errdefs.ErrNotImplemented)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, bin, "-d", "-c", "-q")
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("xz layer: %w", err)
	}
	return &xzReadCloser{ReadCloser: out, cmd: cmd, cancel: cancel, stderr: &stderr}, nil
}

type xzReadCloser struct {
	io.ReadCloser
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr *bytes.Buffer
	done   bool
}

func (x *xzReadCloser) Read(p []byte) (int, error) {
	n, err := x.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !x.done {
		x.done = true
		if werr := x.cmd.Wait(); werr != nil {
			return n, fmt.Errorf("xz layer: %v: %s: %w", werr, bytes.TrimSpace(x.stderr.Bytes()), errdefs.ErrInvalidArgument)
		}
	}
	return n, err
}

func (x *xzReadCloser) Close() error {
	x.cancel()
	if !x.done {
		x.done = true
		_ = x.cmd.Wait()
	}
	return nil
}
