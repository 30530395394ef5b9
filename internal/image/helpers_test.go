package image

import (
	"archive/tar"
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/content/local"
	"github.com/berthproject/berth/internal/snapshot"
	"github.com/berthproject/berth/internal/snapshot/native"
	digest "github.com/opencontainers/go-digest"
)

// env is an image store on a temp dir with native snapshots.
type env struct {
	t     *testing.T
	root  string
	cs    *local.Store
	sn    snapshot.Snapshotter
	store *Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	cs, err := local.Open(root + "/content")
	if err != nil {
		t.Fatal(err)
	}
	sn, err := native.New(root + "/snapshots")
	if err != nil {
		t.Fatal(err)
	}
	return openEnv(t, root, cs, sn)
}

func openEnv(t *testing.T, root string, cs *local.Store, sn snapshot.Snapshotter) *env {
	t.Helper()
	s, err := New(t.Context(), root+"/image", cs, sn)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: root, cs: cs, sn: sn, store: s}
	t.Cleanup(func() { s.Close(); sn.Close() })
	return e
}

// tarEntry is one file of a generated tar.
type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func reg(name, body string) tarEntry {
	return tarEntry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func dirEntry(name string) tarEntry { return tarEntry{name: name, typ: tar.TypeDir, mode: 0o755} }
func symEntry(name, to string) tarEntry {
	return tarEntry{name: name, link: to, typ: tar.TypeSymlink, mode: 0o777}
}

func makeTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link,
			ModTime: time.Unix(1600000000, 0), Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rootfs is a small root filesystem.
func rootfs(t *testing.T, extra ...tarEntry) []byte {
	entries := []tarEntry{
		dirEntry("etc/"), reg("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n"),
		reg("etc/group", "root:x:0:\nwww:x:33:\n"), dirEntry("bin/"), reg("bin/busybox", "#!fake"), symEntry("bin/sh", "busybox"),
	}
	return makeTar(t, append(entries, extra...)...)
}

func (e *env) importImage(layer []byte, ref string, changes ...string) Image {
	e.t.Helper()
	img, err := e.store.Import(e.t.Context(), bytes.NewReader(layer), ref, changes, "")
	if err != nil {
		e.t.Fatalf("import %s: %v", ref, err)
	}
	return img
}

// state is what the stores hold, to check that failures leave nothing.
func (e *env) state() string {
	e.t.Helper()
	ctx := e.t.Context()
	var items []string
	e.cs.Walk(ctx, func(i content.Info) error { items = append(items, "blob "+i.Digest.String()); return nil })
	e.sn.Walk(ctx, func(_ context.Context, i snapshot.Info) error {
		items = append(items, "snapshot "+i.Kind.String()+" "+i.Name)
		return nil
	})
	e.store.view(func(t *tx) error {
		t.images.ForEach(func(k, _ []byte) error { items = append(items, "image "+string(k)); return nil })
		t.refs.ForEach(func(k, v []byte) error { items = append(items, "ref "+string(k)+" "+string(v)); return nil })
		t.layers.ForEach(func(k, _ []byte) error { items = append(items, "layer "+string(k)); return nil })
		return nil
	})
	sort.Strings(items)
	return strings.Join(items, "\n")
}

func diffIDOf(layer []byte) digest.Digest { return digest.FromBytes(layer) }
