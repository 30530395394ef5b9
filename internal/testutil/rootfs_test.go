package testutil

import (
	"archive/tar"
	"io"
	"os"
	"testing"
)

func TestBusyboxTar(t *testing.T) {
	path := BusyboxTar(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Name] = true
	}
	for _, want := range []string{"bin/busybox", "bin/sh", "etc/passwd", "tmp/"} {
		if !seen[want] {
			t.Errorf("tar lacks %s", want)
		}
	}
}
