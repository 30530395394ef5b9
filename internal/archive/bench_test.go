package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkApply applies a 32 MiB layer of 2000 files in 200 directories.
func BenchmarkApply(b *testing.B) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1024)
	for d := range 200 {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("usr/lib/d%d/", d), Mode: 0o755})
		for f := range 10 {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("usr/lib/d%d/f%d", d, f), Mode: 0o644, Size: int64(len(body))})
			tw.Write(body)
		}
	}
	tw.Close()
	layer := buf.Bytes()
	b.SetBytes(int64(len(layer)))
	for range b.N {
		if _, err := Apply(b.Context(), b.TempDir(), bytes.NewReader(layer), ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
