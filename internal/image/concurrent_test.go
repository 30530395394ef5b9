package image

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/snapshot"
)

// TestConcurrent imports, tags, saves, loads and deletes images sharing a
// layer from many goroutines; at the end every image's layers and blobs
// must exist and no snapshot or layer may be left without an image.
func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	shared := rootfs(t)
	var buf bytes.Buffer
	e.importImage(shared, "seed")
	if _, err := e.store.Save(t.Context(), []string{"seed"}, &buf); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 8 {
		wg.Go(func() {
			ref := fmt.Sprintf("img:%d", i)
			for j := range 4 {
				if _, err := e.store.Import(t.Context(), bytes.NewReader(shared), ref, []string{fmt.Sprintf("LABEL n=%d-%d", i, j)}, ""); err != nil {
					errs <- err
				}
				if _, _, err := e.store.Tag(t.Context(), ref, ref+"-copy"); err != nil {
					errs <- err
				}
				if _, err := e.store.Load(t.Context(), bytes.NewReader(archive), nil); err != nil {
					errs <- err
				}
				_, err := e.store.Delete(t.Context(), ref+"-copy", DeleteOptions{})
				if err != nil && !errdefs.IsNotFound(err) {
					errs <- err
				}
				if j%2 == 1 {
					if _, err := e.store.Prune(t.Context(), PruneOptions{}); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkConsistent(t, e)
}

// checkConsistent: every image loads with its layers and blobs, and every
// committed snapshot and layer record belongs to some image.
func checkConsistent(t *testing.T, e *env) {
	t.Helper()
	imgs, err := e.store.all(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string]bool{}
	for _, img := range imgs {
		for _, l := range img.Layers {
			chains[l.ChainID.String()] = true
			if _, err := e.cs.Info(t.Context(), l.Blob.Digest); err != nil {
				t.Errorf("image %s: blob %s: %v", img.ID, l.Blob.Digest, err)
			}
		}
	}
	e.sn.Walk(t.Context(), func(_ context.Context, i snapshot.Info) error {
		if !chains[i.Name] {
			t.Errorf("snapshot %s (%s) belongs to no image", i.Name, i.Kind)
		}
		return nil
	})
	if len(imgs) < 9 {
		t.Errorf("%d images, want at least the 8 tagged ones and seed", len(imgs))
	}
}
