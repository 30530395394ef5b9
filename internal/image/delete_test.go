package image

import (
	"fmt"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
)

func records(rs []imagetypes.DeleteResponse) string {
	var out []string
	for _, r := range rs {
		if r.Untagged != "" {
			out = append(out, "untagged "+r.Untagged)
		} else {
			out = append(out, "deleted "+r.Deleted)
		}
	}
	return strings.Join(out, "\n")
}

func usedBy(ids map[string][]string, running bool) func(string) ([]string, bool) {
	return func(id string) ([]string, bool) {
		c, ok := ids[id]
		return c, ok && running
	}
}

func TestDeleteUntagsFirst(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "a:1")
	e.store.Tag(t.Context(), "a:1", "a:2")
	recs, err := e.store.Delete(t.Context(), "a:1", DeleteOptions{})
	if err != nil || records(recs) != "untagged a:1" {
		t.Fatalf("delete a:1 = %q, %v", records(recs), err)
	}
	recs, err = e.store.Delete(t.Context(), "a:2", DeleteOptions{})
	want := fmt.Sprintf("untagged a:2\ndeleted %s\ndeleted %s", img.ID, img.ChainID)
	if err != nil || records(recs) != want {
		t.Fatalf("delete a:2 = %q, %v; want %q", records(recs), err, want)
	}
	if st := e.state(); st != "" {
		t.Fatalf("left after deleting the only image:\n%s", st)
	}
	if _, err := e.store.Delete(t.Context(), "a:2", DeleteOptions{}); !errdefs.IsNotFound(err) || err.Error() != "No such image: a:2" {
		t.Fatalf("delete again: %v", err)
	}
}

func TestDeleteByIDConflicts(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "a:1")
	e.store.Tag(t.Context(), "a:1", "b:1")
	short := img.ID.Encoded()[:12]
	_, err := e.store.Delete(t.Context(), short, DeleteOptions{})
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (must be forced) - image is referenced in multiple repositories" {
		t.Fatalf("delete by ID with two repositories: %v", err)
	}
	ctr := strings.Repeat("c", 64)
	stopped := usedBy(map[string][]string{img.ID.String(): {ctr}}, false)
	running := usedBy(map[string][]string{img.ID.String(): {ctr}}, true)
	_, err = e.store.Delete(t.Context(), short, DeleteOptions{Force: true, UsedBy: running})
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (cannot be forced) - image is being used by running container cccccccccccc" {
		t.Fatalf("forced delete of a running image: %v", err)
	}
	e.store.Delete(t.Context(), "b:1", DeleteOptions{})
	_, err = e.store.Delete(t.Context(), short, DeleteOptions{UsedBy: stopped})
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (must be forced) - image is being used by stopped container cccccccccccc" {
		t.Fatalf("delete of an image a stopped container uses: %v", err)
	}
	_, err = e.store.Delete(t.Context(), "a:1", DeleteOptions{UsedBy: stopped})
	want := `conflict: unable to remove repository reference "a:1" (must force) - container cccccccccccc is using its referenced image ` + short
	if !errdefs.IsConflict(err) || err.Error() != want {
		t.Fatalf("untag of the last reference a stopped container uses: %v", err)
	}
	// Forced: the container keeps its snapshot, so the layer stays until it goes.
	if _, err := e.sn.Prepare(t.Context(), "ctr", img.ChainID.String()); err != nil {
		t.Fatal(err)
	}
	recs, err := e.store.Delete(t.Context(), short, DeleteOptions{Force: true, UsedBy: stopped})
	if err != nil || records(recs) != "untagged a:1\ndeleted "+img.ID.String() {
		t.Fatalf("forced delete = %q, %v", records(recs), err)
	}
	if _, err := e.sn.Stat(t.Context(), img.ChainID.String()); err != nil {
		t.Fatalf("layer under a container removed: %v", err)
	}
	if err := e.sn.Remove(t.Context(), "ctr"); err != nil {
		t.Fatal(err)
	}
	e.store.Close()
	e = openEnv(t, e.root, e.cs, e.sn) // opening collects the orphan layer
	if _, err := e.sn.Stat(t.Context(), img.ChainID.String()); !errdefs.IsNotFound(err) {
		t.Fatalf("orphan layer kept: %v", err)
	}
}

// TestDeleteSharedLayer: a layer two images share stays until both go.
func TestDeleteSharedLayer(t *testing.T) {
	e := newEnv(t)
	layer := rootfs(t)
	a := e.importImage(layer, "a", "CMD a")
	b := e.importImage(layer, "b", "CMD b")
	if a.ChainID != b.ChainID || a.ID == b.ID {
		t.Fatalf("images %s %s, chains %s %s", a.ID, b.ID, a.ChainID, b.ChainID)
	}
	recs, err := e.store.Delete(t.Context(), "a", DeleteOptions{})
	if err != nil || records(recs) != "untagged a:latest\ndeleted "+a.ID.String() {
		t.Fatalf("delete a = %q, %v", records(recs), err)
	}
	recs, err = e.store.Delete(t.Context(), "b", DeleteOptions{})
	if err != nil || records(recs) != "untagged b:latest\ndeleted "+b.ID.String()+"\ndeleted "+b.ChainID.String() {
		t.Fatalf("delete b = %q, %v", records(recs), err)
	}
}

// TestDeleteDigestRefs: removing the last tag of a repository removes its
// digest references too; deleting by ID removes them all.
func TestDeleteDigestRefs(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "")
	dref := "example.com/x@" + img.Target.Digest.String()
	if _, _, err := e.store.Create(t.Context(), img.Target, CreateOptions{Refs: []string{"example.com/x:1", dref}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Get(t.Context(), dref)
	if err != nil || got.ID != img.ID || strings.Join(got.RepoDigests, ",") != dref || strings.Join(got.RepoTags, ",") != "example.com/x:1" {
		t.Fatalf("Get(digest ref) = %v %v, %v", got.RepoTags, got.RepoDigests, err)
	}
	if g2, err := e.store.Get(t.Context(), "example.com/x:1@"+img.Target.Digest.String()); err != nil || g2.ID != img.ID {
		t.Fatalf("tag+digest reference: %v", err)
	}
	recs, err := e.store.Delete(t.Context(), "example.com/x:1", DeleteOptions{})
	want := fmt.Sprintf("untagged example.com/x:1\nuntagged %s\ndeleted %s\ndeleted %s", dref, img.ID, img.ChainID)
	if err != nil || records(recs) != want {
		t.Fatalf("delete = %q, %v; want %q", records(recs), err, want)
	}
}

// TestDeletePrunesParents: deleting a child removes its untagged parent,
// unless NoPrune; a parent with a child cannot be deleted.
func TestDeletePrunesParents(t *testing.T) {
	e := newEnv(t)
	parent := e.importImage(rootfs(t), "")
	child, _, err := e.store.Create(t.Context(), e.importImage(rootfs(t), "", "CMD child").Target,
		CreateOptions{Refs: []string{"child"}, Parent: parent.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.store.Delete(t.Context(), parent.ID.String(), DeleteOptions{Force: true})
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "(cannot be forced) - image has dependent child images") {
		t.Fatalf("delete a parent: %v", err)
	}
	recs, err := e.store.Delete(t.Context(), "child", DeleteOptions{})
	want := fmt.Sprintf("untagged child:latest\ndeleted %s\ndeleted %s\ndeleted %s", child.ID, parent.ID, parent.ChainID)
	if err != nil || records(recs) != want {
		t.Fatalf("delete child = %q, %v; want %q", records(recs), err, want)
	}
}
