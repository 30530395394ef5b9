package image

import (
	"context"
	"fmt"
	"time"

	"github.com/berthproject/berth/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
)

// driverDescriber is implemented by snapshotters that can describe a
// committed snapshot the way dockerd's graph drivers do (GraphDriver in
// `docker image inspect`).
type driverDescriber interface {
	DriverData(ctx context.Context, name string) (string, map[string]string, error)
}

// Inspect returns what `GET /images/{name}/json` shows, with dockerd 28's
// fields. Parent and DockerVersion, which API 1.50 still shows but the
// response type of API 1.56 no longer has, are Image.Parent and
// Image.DockerVersion (from Get).
func (s *Store) Inspect(ctx context.Context, ref string) (imagetypes.InspectResponse, error) {
	img, err := s.Get(ctx, ref)
	if err != nil {
		return imagetypes.InspectResponse{}, err
	}
	comment := img.Comment
	if comment == "" && len(img.Config.History) > 0 {
		comment = img.Config.History[len(img.Config.History)-1].Comment
	}
	resp := imagetypes.InspectResponse{
		ID:           img.ID.String(),
		RepoTags:     nonNil(img.RepoTags),
		RepoDigests:  nonNil(img.RepoDigests),
		Comment:      comment,
		Author:       img.Config.Author,
		Config:       &img.Config.Config,
		Architecture: img.Config.Architecture,
		Variant:      img.Config.Variant,
		Os:           img.Config.OS,
		OsVersion:    img.Config.OSVersion,
		Size:         img.Size,
		RootFS:       imagetypes.RootFS{Type: img.Config.RootFS.Type},
		Metadata:     imagetypes.Metadata{LastTagTime: img.LastTagTime},
	}
	if !img.Created.IsZero() {
		resp.Created = img.Created.Format(time.RFC3339Nano)
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	if dd, ok := s.sn.(driverDescriber); ok && img.ChainID != "" {
		name, data, err := dd.DriverData(ctx, img.ChainID.String())
		if err != nil {
			return imagetypes.InspectResponse{}, fmt.Errorf("image %s layer: %w", img.ID, err)
		}
		resp.GraphDriver = &storage.DriverData{Name: name, Data: data}
	}
	return resp, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// History returns the image's history the way dockerd does: newest first,
// each entry's Size the size of the layer it made, the top entry carrying
// the image ID and its tags, older entries the IDs of local parent images
// (images built here) or "<missing>".
func (s *Store) History(ctx context.Context, ref string) ([]imagetypes.HistoryResponseItem, error) {
	img, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	items := make([]imagetypes.HistoryResponseItem, 0, len(img.Config.History))
	layer := 0
	for _, h := range img.Config.History {
		var size int64
		if !h.EmptyLayer {
			if layer >= len(img.Layers) {
				return nil, fmt.Errorf("too many non-empty layers in History section: %w", errdefs.ErrInvalidArgument)
			}
			size = img.Layers[layer].Size
			layer++
		}
		item := imagetypes.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Size: size}
		if h.Created != nil {
			item.Created = h.Created.Unix()
		}
		items = append([]imagetypes.HistoryResponseItem{item}, items...)
	}
	// Walk up the local parents, naming the entries they made.
	cur := img
	for i := range items {
		items[i].ID = cur.ID.String()
		items[i].Tags = cur.RepoTags
		if cur.Parent == "" {
			break
		}
		if cur, err = s.Get(ctx, cur.Parent.String()); err != nil {
			break
		}
	}
	return items, nil
}
