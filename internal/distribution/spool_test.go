package distribution

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content/local"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestSpool reads a blob while it is written: the reader gets every byte,
// but the end only once the blob is committed; a blob that does not match
// its digest gives the reader the commit's error instead of the end.
func TestSpool(t *testing.T) {
	blob := make([]byte, 3<<20)
	rand.Read(blob)
	for _, tc := range []struct {
		name string
		desc ocispec.Descriptor
		ok   bool
	}{
		{"good", ocispec.Descriptor{Digest: digest.FromBytes(blob), Size: int64(len(blob))}, true},
		{"wrong digest", ocispec.Descriptor{Digest: digest.FromString("other"), Size: int64(len(blob))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := local.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			w, err := cs.Writer(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			sp := newSpool(tc.desc, cs, w, w.(io.ReaderAt))
			type result struct {
				b   []byte
				err error
			}
			got := make(chan result, 1)
			r := sp.reader(t.Context())
			go func() {
				b, err := io.ReadAll(r)
				got <- result{b, err}
			}()
			for off := 0; off < len(blob); off += 100 << 10 {
				sp.Write(blob[off:min(off+100<<10, len(blob))])
				time.Sleep(time.Millisecond)
			}
			select {
			case res := <-got:
				t.Fatalf("reader finished before the commit: %d bytes, %v", len(res.b), res.err)
			case <-time.After(50 * time.Millisecond):
			}
			cerr := sp.commit(t.Context())
			res := <-got
			r.Close()
			if tc.ok {
				if cerr != nil || res.err != nil || !bytes.Equal(res.b, blob) {
					t.Fatalf("commit %v, read %d bytes, %v", cerr, len(res.b), res.err)
				}
				return
			}
			if cerr == nil || !errdefs.IsInvalidArgument(res.err) || !errors.Is(res.err, cerr) {
				t.Fatalf("commit %v, reader %v", cerr, res.err)
			}
		})
	}
}
