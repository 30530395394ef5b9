package distribution

import (
	"context"
	"fmt"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PushOptions tune a push.
type PushOptions struct {
	// Auth are the credentials for the reference's registry.
	Auth remote.Credentials
	// Platform, when set, must be the image's platform: Berth stores one
	// image per tag, so it is a check rather than a choice.
	Platform *ocispec.Platform
}

// Pushed is one tag a push sent.
type Pushed struct {
	Ref    reference.NamedTagged
	ID     digest.Digest // the image
	Digest digest.Digest // the manifest pushed
	Size   int
}

// Push pushes the tag ref names, or every tag of its repository when it
// has none, reporting progress as dockerd does.
func (s *Service) Push(ctx context.Context, ref reference.Named, opts PushOptions, progress Progress) ([]Pushed, error) {
	out := newOutput(progress)
	name := reference.TrimNamed(ref)
	out.status("", fmt.Sprintf("The push refers to repository [%s]", name.Name()))
	tags, err := s.pushTags(ctx, ref)
	if err != nil {
		return nil, err
	}
	var pushed []Pushed
	err = s.withEndpoints(ctx, name, opts.Auth, true, func(repo *remote.Repository) error {
		ps := &pusher{s: s, out: out, repo: repo, platform: opts.Platform, done: map[digest.Digest]ocispec.Descriptor{}}
		pushed = nil
		for _, t := range tags {
			p, err := ps.pushTag(ctx, t)
			if err != nil {
				return err
			}
			pushed = append(pushed, p)
		}
		return nil
	})
	return pushed, err
}

// pushTags resolves what to push: ref's tag, or all the repository's tags.
func (s *Service) pushTags(ctx context.Context, ref reference.Named) ([]image.TaggedImage, error) {
	if _, ok := ref.(reference.Canonical); ok {
		return nil, fmt.Errorf("cannot push a digest reference: %w", errdefs.ErrInvalidArgument)
	}
	all, err := s.images.RepositoryTags(ctx, ref)
	if err != nil {
		return nil, err
	}
	tagged, ok := ref.(reference.NamedTagged)
	if !ok {
		if len(all) == 0 {
			return nil, errdefs.Errorf(errdefs.ErrNotFound, "An image does not exist locally with the tag: %s", reference.FamiliarName(ref))
		}
		return all, nil
	}
	for _, t := range all {
		if t.Ref.Tag() == tagged.Tag() {
			return []image.TaggedImage{t}, nil
		}
	}
	if len(all) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "An image does not exist locally with the tag: %s", reference.FamiliarName(ref))
	}
	return nil, errdefs.Errorf(errdefs.ErrNotFound, "tag does not exist: %s", reference.FamiliarString(ref))
}

// pusher is one push to one repository.
type pusher struct {
	s        *Service
	out      *output
	repo     *remote.Repository
	platform *ocispec.Platform

	mu   sync.Mutex
	done map[digest.Digest]ocispec.Descriptor // diff ID -> blob the registry has, across tags
}

// pushTag pushes one tag: layers, config, manifest.
func (ps *pusher) pushTag(ctx context.Context, t image.TaggedImage) (Pushed, error) {
	img, err := ps.s.images.Get(ctx, t.ID.String())
	if err != nil {
		return Pushed{}, fmt.Errorf("could not find image from tag %s: %w", reference.FamiliarString(t.Ref), err)
	}
	have := ocispec.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}
	if ps.platform != nil && !remote.MatchPlatform(*ps.platform, have) {
		return Pushed{}, errdefs.Errorf(errdefs.ErrNotFound, "image with reference %s was found but does not match the specified platform: wanted %s, actual: %s",
			reference.FamiliarString(t.Ref), remote.FormatPlatform(remote.NormalizePlatform(*ps.platform)), remote.FormatPlatform(remote.NormalizePlatform(have)))
	}
	layers, err := ps.pushLayers(ctx, img.Layers)
	if err != nil {
		return Pushed{}, err
	}
	cfg, err := ps.pushConfig(ctx, img.ID)
	if err != nil {
		return Pushed{}, err
	}
	mediaType, raw, err := ps.manifest(ctx, img, cfg, layers)
	if err != nil {
		return Pushed{}, err
	}
	dgst, err := ps.repo.PutManifest(ctx, t.Ref.Tag(), mediaType, raw)
	if err != nil {
		return Pushed{}, err
	}
	ps.out.status("", fmt.Sprintf("%s: digest: %s size: %d", t.Ref.Tag(), dgst, len(raw)))
	ps.out.aux(struct {
		Tag    string
		Digest string
		Size   int
	}{t.Ref.Tag(), dgst.String(), len(raw)})
	canonical, _ := reference.WithDigest(reference.TrimNamed(t.Ref), dgst)
	if _, _, err := ps.s.images.Create(ctx, img.Target, image.CreateOptions{Refs: []string{canonical.String()}}); err != nil {
		return Pushed{}, err
	}
	return Pushed{Ref: t.Ref, ID: img.ID, Digest: dgst, Size: len(raw)}, nil
}

// pushConfig uploads the image config unless the registry has it.
func (ps *pusher) pushConfig(ctx context.Context, id digest.Digest) (ocispec.Descriptor, error) {
	raw, err := content.ReadBlob(ctx, ps.s.content, id, 8<<20)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{Digest: id, Size: int64(len(raw))}
	if _, ok, err := ps.repo.BlobExists(ctx, id); err != nil || ok {
		return desc, err
	}
	_, err = ps.repo.Upload(ctx, bytesOpener(raw), id)
	return desc, err
}

// manifest returns the manifest to push: the image's own when the
// registry got exactly its blobs (so the digest stays the same across
// registries), else a new one over the blobs pushed.
func (ps *pusher) manifest(ctx context.Context, img image.Image, cfg ocispec.Descriptor, layers []ocispec.Descriptor) (string, []byte, error) {
	same := img.Target.MediaType == ocispec.MediaTypeImageManifest || img.Target.MediaType == remote.MediaTypeDockerManifest
	for i, l := range layers {
		same = same && l.Digest == img.Layers[i].Blob.Digest
	}
	if same {
		raw, err := content.ReadBlob(ctx, ps.s.content, img.Target.Digest, 8<<20)
		return img.Target.MediaType, raw, err
	}
	return buildManifest(cfg, layers)
}
