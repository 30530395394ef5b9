package overlay

import (
	"context"
	"fmt"
	"github.com/berthproject/berth/internal/snapshot"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
)

func open(t *testing.T) (*Snapshotter, string) {
	t.Helper()
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, root
}

// TestMountsShape checks Prepare and View output without mounting: which
// mount type each kind gets, the lowerdir order (nearest parent first) and
// that the directories named exist.
func TestMountsShape(t *testing.T) {
	s, root := open(t)
	ctx := t.Context()
	fs := func(id string) string { return filepath.Join(root, "snapshots", id, "fs") }
	index := ""
	if s.indexOff {
		index = "index=off "
	}
	steps := []struct {
		op, key, parent, want string
	}{
		{"prepare", "a", "", "bind " + fs("1") + " [rw rbind]"},
		{"commit", "l1", "a", ""},
		{"view", "v0", "", "bind " + fs("2") + " [ro rbind]"},
		{"view", "v1", "l1", "bind " + fs("1") + " [ro rbind]"},
		{"prepare", "b", "l1", "overlay overlay [" + index + "workdir=" + filepath.Join(root, "snapshots/4/work") + " upperdir=" + fs("4") + " lowerdir=" + fs("1") + "]"},
		{"commit", "l2", "b", ""},
		{"view", "v2", "l2", "overlay overlay [" + index + "lowerdir=" + fs("4") + ":" + fs("1") + "]"},
		{"prepare", "c", "l2", "overlay overlay [" + index + "workdir=" + filepath.Join(root, "snapshots/6/work") + " upperdir=" + fs("6") + " lowerdir=" + fs("4") + ":" + fs("1") + "]"},
		{"commit", "l3", "c", ""},
		{"view", "v3", "l3", "overlay overlay [" + index + "lowerdir=" + fs("6") + ":" + fs("4") + ":" + fs("1") + "]"},
	}
	for _, st := range steps {
		var (
			m   []mount.Mount
			err error
		)
		switch st.op {
		case "prepare":
			m, err = s.Prepare(ctx, st.key, st.parent)
		case "view":
			m, err = s.View(ctx, st.key, st.parent)
		case "commit":
			err = s.Commit(ctx, st.key, st.parent)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", st.op, st.key, err)
		}
		if st.op == "commit" {
			continue
		}
		got := ""
		for _, mm := range m {
			got += mm.Type + " " + mm.Source + " [" + strings.Join(mm.Options, " ") + "]"
		}
		if got != st.want {
			t.Errorf("%s %s:\n got %s\nwant %s", st.op, st.key, got, st.want)
		}
		again, err := s.Mounts(ctx, st.key)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(m) {
			t.Errorf("Mounts(%s) = %v, %v", st.key, again, err)
		}
	}
	for _, d := range []string{"snapshots/4/fs", "snapshots/4/work", "snapshots/6/work"} {
		if _, err := os.Stat(filepath.Join(root, d)); err != nil {
			t.Error(err)
		}
	}
	name, data, err := s.DriverData(ctx, "l3")
	if err != nil || name != "overlay2" || data["UpperDir"] != fs("6") || data["LowerDir"] != fs("4")+":"+fs("1") {
		t.Errorf("DriverData = %s %v %v", name, data, err)
	}
}

// TestTooManyLayers checks that a chain whose lowerdir list cannot fit in
// one page of mount data is refused at Prepare, with the metadata rolled back.
func TestTooManyLayers(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	parent := ""
	var err error
	for i := 0; i < 400 && err == nil; i++ {
		key := fmt.Sprintf("k%d", i)
		if _, err = s.Prepare(ctx, key, parent); err != nil {
			break
		}
		parent = fmt.Sprintf("l%d", i)
		err = s.Commit(ctx, parent, key)
	}
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("deep chain: %v, want ErrInvalidArgument", err)
	}
	n := 0
	entries, _ := os.ReadDir(filepath.Join(s.root, "snapshots"))
	s.Walk(ctx, func(_ context.Context, _ snapshot.Info) error { n++; return nil })
	if len(entries) != n {
		t.Fatalf("%d directories for %d snapshots after the refused Prepare", len(entries), n)
	}
}
