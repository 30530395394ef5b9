package archive

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestGzipWriter(t *testing.T) {
	random := make([]byte, 3*pgzipBlock+12345)
	rand.Read(random)
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog\n"), 100000)
	for _, in := range [][]byte{nil, []byte("x"), text[:pgzipBlock], text, random} {
		for _, workers := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%d bytes, %d workers", len(in), workers), func(t *testing.T) {
				var out bytes.Buffer
				w := NewGzipWriter(&out, 6, workers)
				// Odd write sizes cross block boundaries.
				for p := in; len(p) > 0; {
					k := min(len(p), 300001)
					if _, err := w.Write(p[:k]); err != nil {
						t.Fatal(err)
					}
					p = p[k:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				zr, err := gzip.NewReader(&out)
				if err != nil {
					t.Fatal(err)
				}
				zr.Multistream(false)
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("round trip: %v (%d of %d bytes)", err, len(got), len(in))
				}
				if rest, _ := io.ReadAll(&out); len(rest) != 0 {
					t.Fatalf("%d bytes after the gzip member", len(rest))
				}
			})
		}
	}
	var out bytes.Buffer
	w := NewGzipWriter(&out, 6, 2)
	w.Write(text)
	w.Close()
	if ratio := float64(out.Len()) / float64(len(text)); ratio > 0.01 {
		t.Errorf("repetitive text compressed to %.3f of its size", ratio)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestGzipWriterError(t *testing.T) {
	random := make([]byte, 4*pgzipBlock)
	rand.Read(random)
	w := NewGzipWriter(&failWriter{n: 100}, 6, 2)
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = w.Write(random)
	}
	if cerr := w.Close(); cerr == nil || err == nil && cerr == nil {
		t.Fatalf("write error lost: write %v, close %v", err, cerr)
	}
}

func BenchmarkGzipWriter(b *testing.B) {
	text := make([]byte, 16<<20)
	for i := range text {
		text[i] = byte(i*7/1000) ^ byte(i%251)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				w := NewGzipWriter(io.Discard, 6, workers)
				w.Write(text)
				w.Close()
			}
		})
	}
}
