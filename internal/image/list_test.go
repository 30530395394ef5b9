package image

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
)

func listed(t *testing.T, e *env, opts ListOptions) string {
	t.Helper()
	sums, err := e.store.List(t.Context(), opts)
	if err != nil {
		t.Fatalf("list %v: %v", opts.Filters, err)
	}
	var out []string
	for _, s := range sums {
		out = append(out, strings.Join(s.RepoTags, ",")+"|"+strings.Join(s.RepoDigests, ","))
	}
	return strings.Join(out, " ")
}

func filters(t *testing.T, pairs ...string) api.Filters {
	f, err := api.NewFilters(pairs...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestList(t *testing.T) {
	e := newEnv(t)
	old := e.importImage(rootfs(t), "old:1", "LABEL tier=base")
	time.Sleep(10 * time.Millisecond)
	mid := e.importImage(rootfs(t, reg("m", "m")), "mid:1", "LABEL tier=app", "LABEL extra=yes")
	time.Sleep(10 * time.Millisecond)
	e.importImage(rootfs(t, reg("n", "n")), "localhost:5000/new:2")
	dangling := e.importImage(rootfs(t, reg("d", "d")), "")
	e.store.Tag(t.Context(), "old:1", "old:2")

	tests := []struct {
		filters []string
		want    string
	}{
		{nil, "| localhost:5000/new:2| mid:1| old:1,old:2|"},
		{[]string{"dangling=true"}, "|"},
		{[]string{"dangling=false"}, "localhost:5000/new:2| mid:1| old:1,old:2|"},
		{[]string{"label=tier"}, "mid:1| old:1,old:2|"},
		{[]string{"label=tier=app"}, "mid:1|"},
		{[]string{"label=tier", "label=extra=yes"}, "mid:1|"},
		{[]string{"reference=old"}, "old:1,old:2|"},
		{[]string{"reference=old:2"}, "old:2|"},
		{[]string{"reference=*/new"}, "localhost:5000/new:2|"},
		{[]string{"reference=mid", "reference=old:1"}, "mid:1| old:1|"},
		{[]string{"before=mid:1"}, "old:1,old:2|"},
		{[]string{"since=mid:1"}, "| localhost:5000/new:2|"},
		{[]string{"until=" + mid.Created.Format(time.RFC3339Nano)}, "old:1,old:2|"},
		{[]string{"until=" + fmt.Sprint(mid.Created.Unix()+3600)}, "| localhost:5000/new:2| mid:1| old:1,old:2|"},
		{[]string{"until=1h"}, ""},
	}
	for _, tc := range tests {
		if got := listed(t, e, ListOptions{Filters: filters(t, tc.filters...)}); got != tc.want {
			t.Errorf("filters %v:\n got %q\nwant %q", tc.filters, got, tc.want)
		}
	}
	sums, _ := e.store.List(t.Context(), ListOptions{Containers: func(id string) int64 { return 7 }, SharedSize: true})
	for _, s := range sums {
		if s.Containers != 7 || s.SharedSize != 0 || s.Size <= 0 || s.Created == 0 {
			t.Errorf("summary %+v", s)
		}
		if s.ID == old.ID.String() && s.Labels["tier"] != "base" {
			t.Errorf("labels %v", s.Labels)
		}
		if s.ID == dangling.ID.String() && (s.RepoTags == nil || s.RepoDigests == nil) {
			t.Errorf("dangling summary has nil lists (JSON null): %+v", s)
		}
	}
	b, _ := json.Marshal(sums[len(sums)-1])
	if !strings.Contains(string(b), `"SharedSize":0`) || !strings.Contains(string(b), `"Containers":7`) {
		t.Errorf("summary JSON %s", b)
	}
	for _, bad := range [][]string{{"dangling=maybe"}, {"nope=1"}, {"before=missing"}, {"until=yesterday"}} {
		_, err := e.store.List(t.Context(), ListOptions{Filters: filters(t, bad...)})
		if err == nil || (!errdefs.IsInvalidArgument(err) && !errdefs.IsNotFound(err)) {
			t.Errorf("filters %v: %v", bad, err)
		}
	}
	_, err := e.store.List(t.Context(), ListOptions{Filters: filters(t, "dangling=maybe")})
	if err == nil || !strings.HasPrefix(err.Error(), "invalid filter 'dangling=[maybe]'") {
		t.Errorf("dangling=maybe: %v", err)
	}
}

func TestInspectHistory(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "insp:1", "CMD [\"sh\"]", "ENV A=1")
	resp, err := e.store.Inspect(t.Context(), "insp:1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID != img.ID.String() || strings.Join(resp.RepoTags, ",") != "insp:1" || resp.RepoDigests == nil ||
		resp.Comment != "Imported from -" || resp.Os != "linux" || resp.Architecture == "" || resp.Size != img.Size ||
		resp.RootFS.Type != "layers" || len(resp.RootFS.Layers) != 1 || resp.RootFS.Layers[0] != img.ChainID.String() ||
		resp.Config == nil || strings.Join(resp.Config.Cmd, " ") != "sh" || resp.Metadata.LastTagTime.IsZero() {
		t.Fatalf("inspect %+v", resp)
	}
	if created, err := time.Parse(time.RFC3339Nano, resp.Created); err != nil || !created.Equal(img.Created) {
		t.Fatalf("created %q, %v", resp.Created, err)
	}
	if resp.GraphDriver == nil || resp.GraphDriver.Name != "vfs" {
		t.Fatalf("graph driver %+v", resp.GraphDriver)
	}
	b, _ := json.Marshal(resp)
	for _, field := range []string{`"Id":`, `"RepoTags":["insp:1"]`, `"RepoDigests":[]`, `"Config":{`, `"RootFS":{"Type":"layers","Layers":[`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("inspect JSON lacks %s: %s", field, b)
		}
	}
	hist, err := e.store.History(t.Context(), "insp:1")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	h := hist[0]
	if h.ID != img.ID.String() || strings.Join(h.Tags, ",") != "insp:1" || h.Comment != "Imported from -" || h.Size != img.Size || h.Created != img.Created.Unix() {
		t.Fatalf("history item %+v", h)
	}
	if _, err := e.store.Inspect(t.Context(), "missing"); !errdefs.IsNotFound(err) {
		t.Fatalf("inspect missing: %v", err)
	}
}

func TestPrune(t *testing.T) {
	e := newEnv(t)
	tagged := e.importImage(rootfs(t), "keep:1", "LABEL k=v")
	dangling := e.importImage(rootfs(t, reg("d", "d")), "")
	used := e.importImage(rootfs(t, reg("u", "u")), "used:1")
	inUse := usedBy(map[string][]string{used.ID.String(): {strings.Repeat("a", 64)}}, false)

	rep, err := e.store.Prune(t.Context(), PruneOptions{UsedBy: inUse})
	if err != nil {
		t.Fatal(err)
	}
	if got := records(rep.ImagesDeleted); got != "deleted "+dangling.ID.String()+"\ndeleted "+dangling.ChainID.String() {
		t.Fatalf("dangling prune = %q", got)
	}
	if rep.SpaceReclaimed != uint64(dangling.Size) {
		t.Fatalf("reclaimed %d, want %d", rep.SpaceReclaimed, dangling.Size)
	}
	rep, err = e.store.Prune(t.Context(), PruneOptions{Filters: filters(t, "dangling=false", "label!=k=v"), UsedBy: inUse})
	if err != nil || len(rep.ImagesDeleted) != 0 {
		t.Fatalf("prune with label!: %+v, %v", rep, err)
	}
	rep, err = e.store.Prune(t.Context(), PruneOptions{Filters: filters(t, "dangling=false"), UsedBy: inUse})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rep.ImagesDeleted {
		names = append(names, r.Untagged+r.Deleted)
	}
	sort.Strings(names)
	want := []string{"keep:1", tagged.ChainID.String(), tagged.ID.String()}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("prune all = %v, want %v", names, want)
	}
	if _, err := e.store.Get(t.Context(), "used:1"); err != nil {
		t.Fatalf("image in use pruned: %v", err)
	}
	for _, bad := range [][]string{{"dangling=x"}, {"reference=a"}, {"until=1", "until=2"}} {
		if _, err := e.store.Prune(t.Context(), PruneOptions{Filters: filters(t, bad...)}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("prune %v: %v", bad, err)
		}
	}
}
