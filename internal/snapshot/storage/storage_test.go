package storage

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/snapshot"
)

// TestLifecycle checks the metadata rules on their own: IDs, parent chains,
// the children index and the errors of each kind.
func TestLifecycle(t *testing.T) {
	ms, err := Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	steps := []struct {
		name string
		fn   func(tx *Tx) (string, error)
		want string // result, or "err:<kind>"
	}{
		{"create a", func(tx *Tx) (string, error) { s, err := tx.Create(snapshot.KindActive, "a", ""); return s.ID, err }, "1"},
		{"commit a as l1", func(tx *Tx) (string, error) { return tx.Commit("a", "l1", snapshot.Usage{Size: 7}) }, "1"},
		{"create b on l1", func(tx *Tx) (string, error) {
			s, err := tx.Create(snapshot.KindActive, "b", "l1")
			return s.ID + "<" + strings.Join(s.ParentIDs, ","), err
		}, "2<1"},
		{"commit b as l2", func(tx *Tx) (string, error) { return tx.Commit("b", "l2", snapshot.Usage{}) }, "2"},
		{"view on l2", func(tx *Tx) (string, error) {
			s, err := tx.Create(snapshot.KindView, "v", "l2")
			return s.ID + "<" + strings.Join(s.ParentIDs, ","), err
		}, "3<2,1"},
		{"usage of l1", func(tx *Tx) (string, error) { u, err := tx.Usage("l1"); return string(rune('0' + u.Size)), err }, "7"},
		{"commit a view", func(tx *Tx) (string, error) { return tx.Commit("v", "x", snapshot.Usage{}) }, "err:conflict"},
		{"remove l2 with a child", func(tx *Tx) (string, error) { id, _, err := tx.Remove("l2"); return id, err }, "err:conflict"},
		{"create on an active parent", func(tx *Tx) (string, error) { s, err := tx.Create(snapshot.KindActive, "c", "v"); return s.ID, err }, "err:invalid"},
		{"create a committed kind", func(tx *Tx) (string, error) { s, err := tx.Create(snapshot.KindCommitted, "c", ""); return s.ID, err }, "err:invalid"},
		{"reuse a name", func(tx *Tx) (string, error) { s, err := tx.Create(snapshot.KindActive, "l1", ""); return s.ID, err }, "err:exists"},
		{"remove the view", func(tx *Tx) (string, error) { id, _, err := tx.Remove("v"); return id, err }, "3"},
		{"remove l2", func(tx *Tx) (string, error) { id, _, err := tx.Remove("l2"); return id, err }, "2"},
		{"remove l1", func(tx *Tx) (string, error) { id, _, err := tx.Remove("l1"); return id, err }, "1"},
		{"remove again", func(tx *Tx) (string, error) { id, _, err := tx.Remove("l1"); return id, err }, "err:notfound"},
		{"ids are not reused", func(tx *Tx) (string, error) { s, err := tx.Create(snapshot.KindActive, "d", ""); return s.ID, err }, "4"},
	}
	for _, st := range steps {
		var got string
		err := ms.Update(func(tx *Tx) (err error) { got, err = st.fn(tx); return err })
		switch {
		case strings.HasPrefix(st.want, "err:"):
			kinds := map[string]func(error) bool{"conflict": errdefs.IsConflict, "invalid": errdefs.IsInvalidArgument,
				"exists": errdefs.IsAlreadyExists, "notfound": errdefs.IsNotFound}
			if !kinds[st.want[4:]](err) {
				t.Fatalf("%s: %v, want %s", st.name, err, st.want)
			}
		case err != nil || got != st.want:
			t.Fatalf("%s = %q, %v; want %q", st.name, got, err, st.want)
		}
	}
}
