package image

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
)

func TestImportGet(t *testing.T) {
	e := newEnv(t)
	layer := rootfs(t)
	img := e.importImage(layer, "busybox")
	if img.ChainID != diffIDOf(layer) || len(img.Layers) != 1 || img.Layers[0].DiffID != diffIDOf(layer) {
		t.Fatalf("chain %s layers %+v, want diff ID %s", img.ChainID, img.Layers, diffIDOf(layer))
	}
	if img.Size != int64(len("root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n")+len("root:x:0:\nwww:x:33:\n")+len("#!fake")+len("busybox")) {
		t.Errorf("size %d", img.Size)
	}
	if _, _, err := e.store.Tag(t.Context(), "busybox", "localhost:5000/x:tag"); err != nil {
		t.Fatal(err)
	}
	hex := img.ID.Encoded()
	for _, ref := range []string{
		"busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest",
		"library/busybox", "localhost:5000/x:tag", img.ID.String(), hex, hex[:12], hex[:3], "sha256:" + hex[:12],
	} {
		got, err := e.store.Get(t.Context(), ref)
		if err != nil || got.ID != img.ID {
			t.Errorf("Get(%q) = %s, %v", ref, got.ID, err)
		}
	}
	got, _ := e.store.Get(t.Context(), "busybox")
	if strings.Join(got.RepoTags, ",") != "busybox:latest,localhost:5000/x:tag" || got.RepoDigests != nil {
		t.Errorf("tags %v digests %v", got.RepoTags, got.RepoDigests)
	}
	for ref, msg := range map[string]string{
		"nope":                "No such image: nope:latest",
		"nope:1":              "No such image: nope:1",
		"localhost:5000/x":    "No such image: localhost:5000/x:latest",
		"busybox:other":       "No such image: busybox:other",
		"sha256:" + zeros(64): "No such image: sha256:" + zeros(64),
	} {
		_, err := e.store.Get(t.Context(), ref)
		if !errdefs.IsNotFound(err) || err.Error() != msg {
			t.Errorf("Get(%q): %v, want NotFound %q", ref, err, msg)
		}
	}
	for _, ref := range []string{"UPPER", "a b", "busybox:"} {
		if _, err := e.store.Get(t.Context(), ref); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Get(%q): %v, want ErrInvalidArgument", ref, err)
		}
	}
	// The chain ID is a committed snapshot a container can start from.
	mounts, err := e.sn.Prepare(t.Context(), "ctr", img.ChainID.String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := mount.ReadFile(mounts, "/etc/passwd")
	if err != nil || !strings.HasPrefix(string(b), "root:x:0:0") {
		t.Fatalf("passwd = %q, %v", b, err)
	}
	if target, err := os.Readlink(filepath.Join(mounts[0].Source, "bin/sh")); err != nil || target != "busybox" {
		t.Fatalf("bin/sh -> %q, %v", target, err)
	}
}

func zeros(n int) string { return strings.Repeat("0", n) }

// TestAmbiguousPrefix: a prefix two IDs share is not found, as in dockerd.
func TestAmbiguousPrefix(t *testing.T) {
	e := newEnv(t)
	seen := map[byte]string{}
	layer := rootfs(t)
	for i := 0; ; i++ {
		img := e.importImage(layer, "", "LABEL n="+string(rune('a'+i%26))+strings.Repeat("x", i/26))
		c := img.ID.Encoded()[0]
		if prev, ok := seen[c]; ok {
			if _, err := e.store.Get(t.Context(), string(c)); !errdefs.IsNotFound(err) {
				t.Fatalf("ambiguous prefix %q: %v", c, err)
			}
			if got, err := e.store.Get(t.Context(), prev[:12]); err != nil || got.ID.Encoded() != prev {
				t.Fatalf("unique prefix: %v", err)
			}
			return
		}
		seen[c] = img.ID.Encoded()
	}
}

func TestReopen(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "keep:1")
	e.store.Close()
	s, err := New(t.Context(), e.root+"/image", e.cs, e.sn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(t.Context(), "keep:1")
	if err != nil || got.ID != img.ID || got.ChainID != img.ChainID {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

func TestTag(t *testing.T) {
	e := newEnv(t)
	a := e.importImage(rootfs(t), "a:1")
	b := e.importImage(rootfs(t, reg("b", "b")), "b:1")
	id, name, err := e.store.Tag(t.Context(), a.ID.String(), "Repo")
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("uppercase tag: %v %s %s", err, id, name)
	}
	for _, bad := range []string{"x@sha256:" + zeros(64), "sha256:abc", "a:b:c", ""} {
		if _, _, err := e.store.Tag(t.Context(), "a:1", bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("tag %q: %v, want ErrInvalidArgument", bad, err)
		}
	}
	if _, _, err := e.store.Tag(t.Context(), "missing", "x"); !errdefs.IsNotFound(err) {
		t.Errorf("tag of a missing image: %v", err)
	}
	id, name, err = e.store.Tag(t.Context(), "a:1", "b:1") // moves b:1 from b to a
	if err != nil || id != a.ID || name != "b:1" {
		t.Fatalf("Tag = %s %s %v", id, name, err)
	}
	got, _ := e.store.Get(t.Context(), "b:1")
	if got.ID != a.ID || got.LastTagTime.IsZero() {
		t.Fatalf("b:1 -> %s (last tag %v)", got.ID, got.LastTagTime)
	}
	old, err := e.store.Get(t.Context(), b.ID.String())
	if err != nil || len(old.RepoTags) != 0 {
		t.Fatalf("old image: %v %v", old.RepoTags, err)
	}
}

func TestImportChanges(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "changed",
		`ENV PATH=/usr/bin:/bin HOME=/root`, `ENV GREETING "hello world"`, `ENV MSG="$GREETING from ${HOME:-nowhere}"`,
		`LABEL a=b "c d"="e f"`, `EXPOSE 80 53/udp 8000-8001`, `WORKDIR /srv`, `WORKDIR app`, `USER www`,
		`VOLUME ["/data", "/logs"]`, `VOLUME /cache`, `ONBUILD RUN echo built`, `STOPSIGNAL SIGINT`,
		`CMD ["sh", "-c", "echo hi"]`, `ENTRYPOINT /bin/sh`,
		"HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost || exit 1",
	)
	c := img.Config.Config
	checks := []struct{ got, want any }{
		{strings.Join(c.Env, "|"), "PATH=/usr/bin:/bin|HOME=/root|GREETING=hello world|MSG=hello world from /root"},
		{c.Labels["a"] + "," + c.Labels["c d"], "b,e f"},
		{len(c.ExposedPorts), 4},
		{c.WorkingDir, "/srv/app"},
		{c.User, "www"},
		{len(c.Volumes), 3},
		{strings.Join(c.OnBuild, "|"), "RUN echo built"},
		{c.StopSignal, "SIGINT"},
		{strings.Join(c.Cmd, "|"), "sh|-c|echo hi"}, // CMD was set in the same batch: ENTRYPOINT keeps it
		{strings.Join(c.Entrypoint, "|"), "/bin/sh|-c|/bin/sh"},
		{strings.Join(c.Healthcheck.Test, "|"), "CMD-SHELL|wget -q localhost || exit 1"},
		{c.Healthcheck.Retries, 3},
		{img.Config.History[0].Comment, "Imported from -"},
		{img.Comment, "Imported from -"},
	}
	for i, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("check %d: got %v, want %v", i, ck.got, ck.want)
		}
	}
	for _, p := range []string{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("port %s missing: %v", p, c.ExposedPorts)
		}
	}
	img = e.importImage(rootfs(t), "", "ENTRYPOINT [\"/bin/env\"]")
	if img.Config.Config.Cmd != nil || strings.Join(img.Config.Config.Entrypoint, " ") != "/bin/env" {
		t.Errorf("exec ENTRYPOINT: %v %v", img.Config.Config.Entrypoint, img.Config.Config.Cmd)
	}
	before := e.state()
	for change, msg := range map[string]string{
		"RUN echo hi":                "run is not a valid change command",
		"FROM scratch":               "from is not a valid change command",
		"EXPOSE 80/xyz":              "invalid proto",
		"EXPOSE 99999":               "invalid containerPort",
		"STOPSIGNAL SIGNOPE":         "invalid signal",
		"ONBUILD ONBUILD RUN":        "Chaining ONBUILD",
		"ENV":                        "requires at least one argument",
		`LABEL "unterminated`:        "matching double-quote",
		"HEALTHCHECK --bad=1s CMD x": "unknown flag",
	} {
		_, err := e.store.Import(t.Context(), bytes.NewReader(rootfs(t)), "", []string{change}, "")
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), msg) {
			t.Errorf("change %q: %v, want ErrInvalidArgument containing %q", change, err, msg)
		}
	}
	if after := e.state(); after != before {
		t.Errorf("failed imports left state behind:\n%s\nvs\n%s", after, before)
	}
}

var _ = errors.New

// TestLayerWithoutRecord: a layer snapshot committed by someone else (no
// layer record) is measured when an image uses it, so sizes and Save work.
func TestLayerWithoutRecord(t *testing.T) {
	e := newEnv(t)
	layer := rootfs(t)
	a := e.importImage(layer, "a")
	if err := e.store.update(func(t *tx) error { return t.layers.Delete([]byte(a.ChainID)) }); err != nil {
		t.Fatal(err)
	}
	b := e.importImage(layer, "b", "CMD b")
	if b.Size != a.Size || b.Size == 0 {
		t.Fatalf("size %d, want %d", b.Size, a.Size)
	}
	if err := e.store.update(func(t *tx) error { return t.layers.Delete([]byte(a.ChainID)) }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := e.store.Save(t.Context(), []string{"b"}, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Load(t.Context(), &buf, nil); err != nil {
		t.Fatal(err)
	}
}
