package engine

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/internal/backend"
	"github.com/berthproject/berth/internal/distribution"
	"github.com/berthproject/berth/internal/image"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
)

// ImageService is the image side of the API: the image store plus what only
// the engine knows (which containers use an image) and the image events.
type ImageService struct {
	e    *Engine
	s    *image.Store
	dist *distribution.Service // nil: no registry access
}

// NewImages returns the image service over the store; dist (which may be
// nil) pulls and pushes.
func NewImages(e *Engine, s *image.Store, dist *distribution.Service) *ImageService {
	return &ImageService{e: e, s: s, dist: dist}
}

// ImageResolver adapts the image store to the engine's Images dependency.
type ImageResolver struct{ Store *image.Store }

// Resolve implements Images.
func (r ImageResolver) Resolve(ctx context.Context, ref string) (ImageInfo, error) {
	img, err := r.Store.Get(ctx, ref)
	if err != nil {
		return ImageInfo{}, err
	}
	return ImageInfo{ID: img.ID.String(), ChainID: img.ChainID.String(), Config: img.Config.Config.ImageConfig,
		OS: img.Config.OS, Architecture: img.Config.Architecture}, nil
}

// imageUsers lists the containers using an image, running ones first.
func (e *Engine) imageUsers(imageID string) ([]string, bool) {
	var running, stopped []string
	for _, c := range e.all() {
		v := c.View()
		if v.Image != imageID {
			continue
		}
		if v.State.Running {
			running = append(running, c.ID)
		} else {
			stopped = append(stopped, c.ID)
		}
	}
	return append(running, stopped...), len(running) > 0
}

func (e *Engine) imageUseCount(imageID string) int64 {
	ids, _ := e.imageUsers(imageID)
	return int64(len(ids))
}

// Images lists images.
func (s *ImageService) Images(ctx context.Context, opts backend.ImageListOptions) ([]imagetypes.Summary, error) {
	return s.s.List(ctx, image.ListOptions{All: opts.All, Filters: opts.Filters, SharedSize: opts.SharedSize, Containers: s.e.imageUseCount})
}

// ImageInspect returns an image's inspect document.
func (s *ImageService) ImageInspect(ctx context.Context, name string) (*imagetypes.InspectResponse, error) {
	r, err := s.s.Inspect(ctx, name)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ImageHistory returns an image's history, newest first.
func (s *ImageService) ImageHistory(ctx context.Context, name string) ([]imagetypes.HistoryResponseItem, error) {
	return s.s.History(ctx, name)
}

// ImageTag tags an image.
func (s *ImageService) ImageTag(ctx context.Context, name string, ref reference.NamedTagged) error {
	id, tag, err := s.s.Tag(ctx, name, ref.String())
	if err != nil {
		return err
	}
	s.e.ImageEvent(events.ActionTag, id.String(), tag)
	return nil
}

// ImageDelete untags and deletes an image, refusing while containers use it.
func (s *ImageService) ImageDelete(ctx context.Context, name string, opts backend.ImageRemoveOptions) ([]imagetypes.DeleteResponse, error) {
	resp, err := s.s.Delete(ctx, name, image.DeleteOptions{Force: opts.Force, NoPrune: !opts.PruneChildren, UsedBy: s.e.imageUsers})
	s.deleteEvents(resp)
	return resp, err
}

func (s *ImageService) deleteEvents(resp []imagetypes.DeleteResponse) {
	for _, r := range resp {
		switch {
		case r.Untagged != "":
			s.e.ImageEvent(events.ActionUnTag, r.Untagged, r.Untagged)
		case strings.HasPrefix(r.Deleted, "sha256:"):
			s.e.ImageEvent(events.ActionDelete, r.Deleted, "")
		}
	}
}

// ImagePrune removes unused images.
func (s *ImageService) ImagePrune(ctx context.Context, f api.Filters) (imagetypes.PruneReport, error) {
	rep, err := s.s.Prune(ctx, image.PruneOptions{Filters: f, UsedBy: s.e.imageUsers})
	s.deleteEvents(rep.ImagesDeleted)
	if err == nil {
		s.e.opts.Events.Publish(events.Message{Type: events.ImageEventType, Action: events.ActionPrune, Scope: "local",
			Actor: events.Actor{Attributes: map[string]string{"reclaimed": strconv.FormatUint(rep.SpaceReclaimed, 10)}}})
	}
	return rep, err
}

// ImageLoad loads a `docker save` or OCI layout archive.
func (s *ImageService) ImageLoad(ctx context.Context, r io.Reader, opts backend.ImageLoadOptions, progress func(jsonstream.Message)) error {
	loaded, err := s.s.Load(ctx, r, func(msg string) { progress(jsonstream.Message{Stream: msg + "\n"}) })
	for _, l := range loaded {
		name := l.ID.String()
		if len(l.Tags) > 0 {
			name = l.Tags[0]
		}
		s.e.ImageEvent(events.ActionLoad, l.ID.String(), name)
	}
	return err
}

// ImageSave writes images as one `docker save` archive.
func (s *ImageService) ImageSave(ctx context.Context, names []string, opts backend.ImageSaveOptions, w io.Writer) error {
	ids, err := s.s.Save(ctx, names, w)
	for _, id := range ids {
		s.e.ImageEvent(events.ActionSave, id.String(), "")
	}
	return err
}

// ImageImport creates a one-layer image from a root filesystem archive.
func (s *ImageService) ImageImport(ctx context.Context, r io.Reader, opts backend.ImageImportOptions) (string, error) {
	ref := ""
	if opts.Ref != nil {
		ref = opts.Ref.String()
	}
	img, err := s.s.Import(ctx, r, ref, opts.Changes, opts.Message)
	if err != nil {
		return "", err
	}
	s.e.ImageEvent(events.ActionImport, img.ID.String(), ref)
	return img.ID.String(), nil
}
