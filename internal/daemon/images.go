package daemon

import (
	"context"
	"path/filepath"

	"github.com/berthproject/berth/internal/content/local"
	"github.com/berthproject/berth/internal/engine"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/snapshot/overlay"
)

// images is the storage stack: content store, overlay snapshotter, image store.
type images struct {
	engine.ImageResolver
	store     *image.Store
	content   *local.Store
	snapshots *overlay.Snapshotter
}

func openImages(ctx context.Context, dataRoot string) (*images, error) {
	cs, err := local.Open(filepath.Join(dataRoot, "content"))
	if err != nil {
		return nil, err
	}
	sn, err := overlay.New(filepath.Join(dataRoot, "snapshots"))
	if err != nil {
		return nil, err
	}
	st, err := image.New(ctx, filepath.Join(dataRoot, "image"), cs, sn)
	if err != nil {
		sn.Close()
		return nil, err
	}
	return &images{ImageResolver: engine.ImageResolver{Store: st}, store: st, content: cs, snapshots: sn}, nil
}

// count is the number of images `docker info` reports.
func (i *images) count(ctx context.Context) int {
	list, err := i.store.List(ctx, image.ListOptions{})
	if err != nil {
		return 0
	}
	return len(list)
}

func (i *images) Close() error {
	err := i.store.Close()
	if cerr := i.snapshots.Close(); err == nil {
		err = cerr
	}
	return err
}
