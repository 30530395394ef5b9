package image

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// DeleteOptions are the options of `DELETE /images/{name}`.
type DeleteOptions struct {
	// Force removes the image even if stopped containers use it or it has
	// several references (never when a running container uses it).
	Force bool
	// NoPrune keeps untagged parent images.
	NoPrune bool
	// UsedBy reports the containers that use an image. containerIDs[0]
	// must be a running container when running is true (callers list
	// running containers first). Nil means no container uses any image.
	UsedBy func(imageID string) (containerIDs []string, running bool)
}

// conflict kinds, as in dockerd's image_delete.go.
type conflictType int

const (
	conflictDependentChild conflictType = 1 << iota
	conflictRunningContainer
	conflictActiveReference
	conflictStoppedContainer
	conflictHard = conflictDependentChild | conflictRunningContainer
	conflictSoft = conflictActiveReference | conflictStoppedContainer
)

// deleteConflict is one reason an image cannot be deleted.
type deleteConflict struct {
	hard, used bool
	id         digest.Digest
	message    string
}

func (c *deleteConflict) error() error {
	force := "must be forced"
	if c.hard {
		force = "cannot be forced"
	}
	return fmt.Errorf("%w: unable to delete %s (%s) - %s", errdefs.ErrConflict, truncateID(c.id.String()), force, c.message)
}

// Delete removes a reference or an image with dockerd's rules. A name
// removes that reference; the image itself goes only when no reference is
// left (quietly kept if something still needs it). An ID (or prefix)
// removes the image and, when they all belong to one repository, its
// references. Conflicts are errdefs.ErrConflict with dockerd's messages.
// Untagged parent images go too unless NoPrune. The result lists what was
// untagged and deleted (image IDs, then removed layer chain IDs), in order.
func (s *Store) Delete(ctx context.Context, ref string, opts DeleteOptions) ([]imagetypes.DeleteResponse, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	return s.deleteLocked(ctx, ref, opts)
}

func (s *Store) deleteLocked(ctx context.Context, ref string, opts DeleteOptions) ([]imagetypes.DeleteResponse, error) {
	var id digest.Digest
	if err := s.view(func(t *tx) (err error) { id, err = t.resolve(ref); return err }); err != nil {
		return nil, err
	}
	d := &deleter{s: s, opts: opts, records: []imagetypes.DeleteResponse{}}
	quiet := false
	if !isImageIDPrefix(id.String(), ref) {
		done, err := d.untagByName(ctx, id, ref)
		if err != nil || done {
			return d.records, err
		}
		quiet = true
	} else if err := d.untagByID(id); err != nil {
		return nil, err
	}
	if err := d.deleteImage(ctx, id, opts.Force, !opts.NoPrune, quiet); err != nil {
		return nil, err
	}
	return d.records, nil
}

// deleter carries one Delete's records.
type deleter struct {
	s       *Store
	opts    DeleteOptions
	records []imagetypes.DeleteResponse
}

// refs returns the parsed references of id.
func (d *deleter) refs(id digest.Digest) []reference.Named {
	var keys []string
	d.s.view(func(t *tx) error { keys = t.refsOf(id); return nil })
	var out []reference.Named
	for _, k := range keys {
		if n, err := reference.ParseNormalizedNamed(k); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (d *deleter) untag(ref reference.Named) error {
	err := d.s.update(func(t *tx) error { return t.refs.Delete([]byte(refKey(ref))) })
	if err == nil {
		d.records = append(d.records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(ref)})
	}
	return err
}

// untagByName removes the reference ref names; done reports that the image
// keeps other references (so nothing else happens).
func (d *deleter) untagByName(ctx context.Context, id digest.Digest, ref string) (done bool, err error) {
	refs := d.refs(id)
	if !d.opts.Force && isSingleReference(refs) {
		if ctrs, _ := d.usedBy(id); len(ctrs) > 0 {
			return false, fmt.Errorf("%w: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
				errdefs.ErrConflict, ref, truncateID(ctrs[0]), truncateID(id.String()))
		}
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false, fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	if _, ok := named.(reference.Canonical); !ok {
		named = reference.TagNameOnly(named)
	}
	if err := d.untag(named); err != nil {
		return false, err
	}
	refs = d.refs(id)
	// With the last tag of a repository gone, its digest references go too.
	if _, canonical := named.(reference.Canonical); !canonical {
		var remaining []reference.Named
		tagLeft := false
		for _, r := range refs {
			if _, c := r.(reference.Canonical); !c && r.Name() == named.Name() {
				tagLeft = true
			}
		}
		for _, r := range refs {
			if _, c := r.(reference.Canonical); c && r.Name() == named.Name() && !tagLeft {
				if err := d.untag(r); err != nil {
					return false, err
				}
				continue
			}
			remaining = append(remaining, r)
		}
		refs = remaining
	}
	return len(refs) > 0, nil
}

// untagByID removes all references when they are one tag (plus digests)
// of one repository and nothing stops the deletion.
func (d *deleter) untagByID(id digest.Digest) error {
	refs := d.refs(id)
	if !isSingleReference(refs) {
		return nil
	}
	mask := conflictHard
	if !d.opts.Force {
		mask |= conflictSoft &^ conflictActiveReference
	}
	if c := d.conflict(id, mask); c != nil {
		return c.error()
	}
	for _, r := range refs {
		if err := d.untag(r); err != nil {
			return err
		}
	}
	return nil
}

// deleteImage removes image id (and, when prune, its untagged parents). A
// quiet deletion gives up silently unless the image is dangling and unused.
func (d *deleter) deleteImage(ctx context.Context, id digest.Digest, force, prune, quiet bool) error {
	mask := conflictHard
	if !force {
		mask |= conflictSoft
	}
	if c := d.conflict(id, mask); c != nil {
		if quiet && (!d.dangling(id) || c.used) {
			return nil
		}
		return c.error()
	}
	img, err := d.s.getByID(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range d.refs(id) {
		if err := d.untag(r); err != nil {
			return err
		}
	}
	if err := d.s.update(func(t *tx) error { return t.images.Delete([]byte(id)) }); err != nil {
		return err
	}
	d.s.forgetConfig(id)
	d.records = append(d.records, imagetypes.DeleteResponse{Deleted: id.String()})
	g := newGarbage()
	g.addImage(img)
	removed, err := d.s.collect(ctx, g)
	for _, l := range removed {
		d.records = append(d.records, imagetypes.DeleteResponse{Deleted: l.chainID.String()})
	}
	if err != nil {
		return err
	}
	if !prune || img.Parent == "" {
		return nil
	}
	return d.deleteImage(ctx, img.Parent, false, true, true)
}

// conflict returns the first reason, among those in mask, that image id
// cannot be deleted.
func (d *deleter) conflict(id digest.Digest, mask conflictType) *deleteConflict {
	var children []digest.Digest
	d.s.view(func(t *tx) (err error) { children, err = t.children(id); return err })
	if mask&conflictDependentChild != 0 && len(children) > 0 {
		return &deleteConflict{hard: true, id: id, message: "image has dependent child images"}
	}
	ctrs, running := d.usedBy(id)
	if mask&conflictRunningContainer != 0 && running {
		return &deleteConflict{hard: true, used: true, id: id, message: "image is being used by running container " + truncateID(ctrs[0])}
	}
	if mask&conflictActiveReference != 0 && len(d.refs(id)) > 0 {
		return &deleteConflict{id: id, message: "image is referenced in multiple repositories"}
	}
	if mask&conflictStoppedContainer != 0 && !running && len(ctrs) > 0 {
		return &deleteConflict{used: true, id: id, message: "image is being used by stopped container " + truncateID(ctrs[0])}
	}
	return nil
}

func (d *deleter) usedBy(id digest.Digest) ([]string, bool) {
	if d.opts.UsedBy == nil {
		return nil, false
	}
	return d.opts.UsedBy(id.String())
}

// dangling: no references and no child images.
func (d *deleter) dangling(id digest.Digest) bool {
	var children []digest.Digest
	d.s.view(func(t *tx) (err error) { children, err = t.children(id); return err })
	return len(d.refs(id)) == 0 && len(children) == 0
}

// isSingleReference reports whether refs are at most one tag plus digest
// references, all of one repository (false for none).
func isSingleReference(refs []reference.Named) bool {
	if len(refs) <= 1 {
		return len(refs) == 1
	}
	var single reference.Named
	canonical := map[string]bool{}
	for _, r := range refs {
		if _, ok := r.(reference.Canonical); ok {
			canonical[r.Name()] = true
		} else if single == nil {
			single = r
		} else {
			return false
		}
	}
	if single == nil {
		single = refs[0]
	}
	return len(canonical) == 1 && canonical[single.Name()]
}

// isImageIDPrefix reports whether ref is a prefix of the image ID, with or
// without its "sha256:".
func isImageIDPrefix(id, ref string) bool {
	if strings.HasPrefix(id, ref) {
		return true
	}
	if i := strings.IndexByte(id, ':'); i >= 0 {
		return strings.HasPrefix(id[i+1:], ref)
	}
	return false
}

// forgetConfig drops a deleted image's cached config.
func (s *Store) forgetConfig(id digest.Digest) {
	s.cacheMu.Lock()
	delete(s.configs, id)
	s.cacheMu.Unlock()
}
