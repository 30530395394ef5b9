package image

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/mount"
	"golang.org/x/sys/unix"
)

// TestLoadDockerd2010 loads an archive written by dockerd 20.10's `docker
// save` (see testdata/README.md) and checks the IDs, tags, sizes and
// history sizes dockerd reported, and the unpacked files.
func TestLoadDockerd2010(t *testing.T) {
	e := newEnv(t)
	f, err := os.Open("testdata/dockerd-20.10-save.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := e.store.Load(t.Context(), f, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		id   string
		size int64
		hist string
	}{
		"fixture/base:1":            {"sha256:7b5317601bb1e8db3ef8d71c9bb3d15b884c223aa5d280b1d62b67e0fad6f4ea", 101, "101"},
		"fixture/app:2":             {"sha256:cd9ad9dc7badd6b7cb5fb1a6440b2cd79d4f2903ca940b0e3280119bb2649cc2", 111, "0 0 0 5 0 5 101"},
		"localhost:5000/app:latest": {"sha256:cd9ad9dc7badd6b7cb5fb1a6440b2cd79d4f2903ca940b0e3280119bb2649cc2", 111, "0 0 0 5 0 5 101"},
	}
	for ref, w := range want {
		img, err := e.store.Get(t.Context(), ref)
		if err != nil || img.ID.String() != w.id || img.Size != w.size {
			t.Errorf("%s: %s size %d, %v; want %s %d", ref, img.ID, img.Size, err, w.id, w.size)
			continue
		}
		hist, err := e.store.History(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []string
		for _, h := range hist {
			sizes = append(sizes, fmt.Sprint(h.Size))
		}
		if strings.Join(sizes, " ") != w.hist {
			t.Errorf("%s history sizes %v, want %s", ref, sizes, w.hist)
		}
	}
	app, _ := e.store.Get(t.Context(), "fixture/app:2")
	if app.Config.Config.WorkingDir != "/srv" || app.Config.Config.User != "www" || app.Config.Config.Labels["org.example"] != "fixture" {
		t.Errorf("config %+v", app.Config.Config)
	}
	mounts, err := e.sn.View(t.Context(), "check", app.ChainID.String())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := mount.ReadFile(mounts, "/srv/f.txt"); err != nil || string(b) != "data\n" {
		t.Errorf("/srv/f.txt = %q, %v", b, err)
	}
	dir := mounts[0].Source
	var st, st2 unix.Stat_t
	if err := unix.Lstat(dir+"/bin/tool", &st); err != nil || st.Mode&0o7777 != 0o4755 {
		t.Errorf("bin/tool mode %o, %v", st.Mode&0o7777, err)
	}
	if err := unix.Lstat(dir+"/bin/tool2", &st2); err != nil || st2.Ino != st.Ino {
		t.Errorf("bin/tool2 is not a hard link of bin/tool: %v", err)
	}
	if err := unix.Lstat(dir+"/home/www", &st); err != nil || st.Mode&0o7777 != 0o700 || (os.Geteuid() == 0 && st.Uid != 33) {
		t.Errorf("home/www mode %o uid %d, %v", st.Mode&0o7777, st.Uid, err)
	}
}
