package archive

import (
	"bytes"
	"io"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestDecompress(t *testing.T) {
	plain := makeTar(t, file("a", "hello"), file("b", string(make([]byte, 5000))))
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	inputs := map[Compression][]byte{Uncompressed: plain, Gzip: gz.Bytes(), Zstd: zs.Bytes()}
	for c, tool := range map[Compression]string{Bzip2: "bzip2", Xz: "xz"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("%s not installed: not checked", tool)
			continue
		}
		cmd := exec.Command(tool, "-c")
		cmd.Stdin = bytes.NewReader(plain)
		b, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		inputs[c] = b
	}
	for c, in := range inputs {
		rc, got, err := Decompress(t.Context(), bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, plain) || got != c {
			t.Errorf("%s: detected %s, %d bytes, %v", c, got, len(b), err)
		}
	}
	if _, _, err := Decompress(t.Context(), bytes.NewReader(nil)); err != nil {
		t.Errorf("empty stream: %v", err)
	}
	corrupt := append([]byte{0x1f, 0x8b, 0x08}, bytes.Repeat([]byte{0}, 20)...)
	if rc, _, err := Decompress(t.Context(), bytes.NewReader(corrupt)); err == nil {
		if _, err := io.ReadAll(rc); err == nil {
			t.Error("corrupt gzip read without error")
		}
	}
}
