package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"

	"github.com/berthproject/berth/internal/content/local"
	"github.com/berthproject/berth/internal/snapshot/native"
)

// benchLayer is a layer of 200 directories with 10 files of 16 KiB each
// (32 MiB of content).
func benchLayer(b testing.TB) []byte {
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
	return buf.Bytes()
}

// BenchmarkImport imports a 32 MiB, 2000-file layer (store, unpack, record)
// with the native snapshotter and deletes it again.
func BenchmarkImport(b *testing.B) {
	layer := benchLayer(b)
	root := b.TempDir()
	cs, _ := local.Open(root + "/content")
	sn, _ := native.New(root + "/snapshots")
	s, err := New(b.Context(), root+"/image", cs, sn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(len(layer)))
	b.ResetTimer()
	for range b.N {
		img, err := s.Import(b.Context(), bytes.NewReader(layer), "bench", nil, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Delete(b.Context(), img.ID.String(), DeleteOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}
