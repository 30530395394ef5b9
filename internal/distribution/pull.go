package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PullOptions tune a pull.
type PullOptions struct {
	// Platform is the platform to pull from an index; nil means the host's.
	Platform *ocispec.Platform
	// Auth are the credentials for the reference's registry.
	Auth remote.Credentials
}

// Pulled is one reference a pull recorded.
type Pulled struct {
	Ref reference.Named
	ID  digest.Digest
}

// Pull pulls ref into the image store, reporting progress as dockerd
// does. A reference without tag or digest pulls every tag of the
// repository. It returns the references it recorded.
func (s *Service) Pull(ctx context.Context, ref reference.Named, opts PullOptions, progress Progress) ([]Pulled, error) {
	p := &puller{s: s, out: newOutput(progress), opts: opts}
	err := s.withEndpoints(ctx, ref, opts.Auth, false, func(repo *remote.Repository) error {
		p.pulled, p.downloaded = nil, false
		return p.pullRepository(ctx, repo, ref)
	})
	if err != nil {
		return nil, translatePullError(err, ref)
	}
	if p.downloaded {
		p.out.status("", "Status: Downloaded newer image for "+reference.FamiliarString(ref))
	} else {
		p.out.status("", "Status: Image is up to date for "+reference.FamiliarString(ref))
	}
	return p.pulled, nil
}

// puller is one pull.
type puller struct {
	s          *Service
	out        *output
	opts       PullOptions
	pulled     []Pulled
	downloaded bool // some reference got a new image
}

// pullRepository pulls ref's tag or digest, or every tag.
func (p *puller) pullRepository(ctx context.Context, repo *remote.Repository, ref reference.Named) error {
	if !reference.IsNameOnly(ref) {
		return p.pullTag(ctx, repo, ref)
	}
	tags, err := repo.Tags(ctx)
	if err != nil {
		return err
	}
	for _, tag := range tags {
		tagged, err := reference.WithTag(ref, tag)
		if err != nil {
			return err
		}
		if err := p.pullTag(ctx, repo, tagged); err != nil {
			return err
		}
	}
	return nil
}

// target is what a tag or digest resolved to.
type target struct {
	resolved ocispec.Descriptor // what the reference names: an index or a manifest
	manifest ocispec.Descriptor // the image manifest pulled
	raw      []byte             // its bytes
	m        ocispec.Manifest
	config   []byte
	diffIDs  []digest.Digest
}

// pullTag pulls one tagged or digested reference.
func (p *puller) pullTag(ctx context.Context, repo *remote.Repository, ref reference.Named) error {
	tagOrDigest := refSuffix(ref)
	t, err := p.resolve(ctx, repo, ref, tagOrDigest)
	if err != nil {
		return err
	}
	cfgDesc := t.m.Config
	if prev, err := p.s.images.Get(ctx, ref.String()); err != nil || prev.ID != cfgDesc.Digest {
		p.downloaded = true
	}
	var img image.Image
	err = p.s.images.Add(ctx, func(a *image.Adder) error {
		if err := a.WriteBlob(ctx, cfgDesc, t.config); err != nil {
			return err
		}
		if err := p.layers(ctx, a, repo, t); err != nil {
			return err
		}
		if err := a.WriteBlob(ctx, t.manifest, t.raw); err != nil {
			return err
		}
		var err error
		img, _, err = a.Create(ctx, t.manifest, image.CreateOptions{Refs: recordRefs(ref, t.resolved.Digest)})
		return err
	})
	if err != nil {
		return err
	}
	p.out.status("", "Digest: "+t.resolved.Digest.String())
	p.recordSources(ctx, repo, t)
	p.pulled = append(p.pulled, Pulled{Ref: ref, ID: img.ID})
	return nil
}

// recordRefs are the references a pulled image gets: the tag (or the
// digest reference asked for) and the repository at the resolved digest.
func recordRefs(ref reference.Named, resolved digest.Digest) []string {
	canonical, _ := reference.WithDigest(reference.TrimNamed(ref), resolved)
	if _, ok := ref.(reference.Canonical); ok {
		return []string{canonical.String()}
	}
	return []string{ref.String(), canonical.String()}
}

// refSuffix is a reference's tag, or its digest.
func refSuffix(ref reference.Named) string {
	if c, ok := ref.(reference.Canonical); ok {
		return c.Digest().String()
	}
	if t, ok := ref.(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

// resolve fetches the manifest ref names (choosing the platform's entry of
// an index) and the image config, and checks them.
func (p *puller) resolve(ctx context.Context, repo *remote.Repository, ref reference.Named, tagOrDigest string) (*target, error) {
	raw, desc, err := repo.Manifest(ctx, tagOrDigest)
	if err != nil {
		return nil, err
	}
	p.out.status(tagOrDigest, "Pulling from "+reference.Path(repo.Named()))
	t := &target{resolved: desc, manifest: desc, raw: raw}
	if remote.IsIndex(desc.MediaType) {
		if err := p.pickPlatform(ctx, repo, t); err != nil {
			return nil, err
		}
	}
	if err := checkManifestType(ref, t.manifest.MediaType); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(t.raw, &t.m); err != nil {
		return nil, fmt.Errorf("manifest %s: %v: %w", t.manifest.Digest, err, errdefs.ErrInvalidArgument)
	}
	if err := checkConfigType(t.m.Config.MediaType); err != nil {
		return nil, err
	}
	if t.config, err = fetchSmall(ctx, repo, t.m.Config); err != nil {
		return nil, fmt.Errorf("image config %s: %w", t.m.Config.Digest, err)
	}
	return t, p.checkConfig(ref, t)
}

// pickPlatform replaces an index by the manifest of the wanted platform.
func (p *puller) pickPlatform(ctx context.Context, repo *remote.Repository, t *target) error {
	var idx ocispec.Index
	if err := json.Unmarshal(t.raw, &idx); err != nil {
		return fmt.Errorf("index %s: %v: %w", t.resolved.Digest, err, errdefs.ErrInvalidArgument)
	}
	want := remote.DefaultPlatform()
	if p.opts.Platform != nil {
		want = *p.opts.Platform
	}
	d, err := remote.PickPlatform(idx, want)
	if err != nil {
		return err
	}
	raw, desc, err := repo.Manifest(ctx, d.Digest.String())
	if err != nil {
		return err
	}
	t.raw, t.manifest = raw, desc
	return nil
}

// checkConfig reads the config's OS, platform and layers.
func (p *puller) checkConfig(ref reference.Named, t *target) error {
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(t.config, &cfg); err != nil {
		return fmt.Errorf("image config %s: %v: %w", t.m.Config.Digest, err, errdefs.ErrInvalidArgument)
	}
	have := ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if p.opts.Platform != nil && !remote.MatchPlatform(*p.opts.Platform, have) {
		return errdefs.Errorf(errdefs.ErrNotFound, "image with reference %s was found but does not match the specified platform: wanted %s, actual: %s",
			reference.FamiliarString(ref), remote.FormatPlatform(remote.NormalizePlatform(*p.opts.Platform)), remote.FormatPlatform(remote.NormalizePlatform(have)))
	}
	if len(cfg.RootFS.DiffIDs) != len(t.m.Layers) {
		return fmt.Errorf("invalid manifest, layers length mismatch: expected %d, got %d: %w",
			len(t.m.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	t.diffIDs = cfg.RootFS.DiffIDs
	return nil
}

// fetchSmall reads a small verified blob (a config).
func fetchSmall(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor) ([]byte, error) {
	if desc.Size > 8<<20 {
		return nil, fmt.Errorf("blob %s is %d bytes: %w", desc.Digest, desc.Size, errdefs.ErrInvalidArgument)
	}
	rc, err := repo.FetchBlob(ctx, desc)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// recordSources remembers where the layer blobs came from, for pushes to
// mount them. Failures only cost that optimisation.
func (p *puller) recordSources(ctx context.Context, repo *remote.Repository, t *target) {
	for i, l := range t.m.Layers {
		_ = p.s.images.AddBlobSource(ctx, t.diffIDs[i], l, repo.Named().Name())
	}
}

// translatePullError words registry refusals as dockerd does.
func translatePullError(err error, ref reference.Named) error {
	var re *remote.Error
	if !errors.As(err, &re) {
		return err
	}
	switch re.Code {
	case "DENIED":
		return errdefs.Errorf(errdefs.ErrNotFound, "pull access denied for %s, repository does not exist or may require 'docker login': %w", reference.FamiliarName(ref), err)
	case "MANIFEST_UNKNOWN":
		return errdefs.Errorf(errdefs.ErrNotFound, "manifest for %s not found: %w", reference.FamiliarString(ref), err)
	case "NAME_UNKNOWN":
		return errdefs.Errorf(errdefs.ErrNotFound, "repository %s not found: %w", reference.FamiliarName(ref), err)
	}
	return err
}
