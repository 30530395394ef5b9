package cli

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
)

func sampleContainers() []container.Summary {
	now := time.Now()
	return []container.Summary{
		{
			ID: "3f4e8c1d2b9a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a291807f6e", Names: []string{"/web"},
			Image: "nginx:latest", ImageID: "sha256:aaaa", Command: "nginx -g 'daemon off;' --with-a-long-argument",
			Created: now.Add(-2 * time.Hour).Unix(), State: container.StateRunning, Status: "Up 2 hours",
			Ports: []container.PortSummary{
				{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
				{PrivatePort: 443, Type: "tcp"}, {PrivatePort: 444, Type: "tcp"},
			},
			Labels: map[string]string{"b": "2", "a": "1"}, SizeRw: 1024, SizeRootFs: 187_000_000,
		},
		{
			ID: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", Names: []string{"/db", "/web/db"},
			Image: "sha256:bbbbbbbbbbbbcccc", ImageID: "sha256:bbbbbbbbbbbbcccc", Command: "true",
			Created: now.Add(-90 * time.Second).Unix(), State: container.StateExited, Status: "Exited (0) About a minute ago",
		},
	}
}

func TestPs(t *testing.T) {
	d := newDaemon(t, map[string]http.HandlerFunc{"GET /containers/json": jsonRoute(sampleContainers())})
	tests := []struct {
		golden string
		args   []string
		query  string
	}{
		{"ps.golden", []string{"ps"}, ""},
		{"ps-a-notrunc.golden", []string{"ps", "-a", "--no-trunc"}, "all=1"},
		{"ps-q.golden", []string{"ps", "-q", "-n", "2"}, "limit=2"},
		{"ps-format.golden", []string{"ps", "--format", "table {{.Names}}\t{{.Labels}}\t{{upper .State}}\t{{.Label \"a\"}}"}, ""},
		{"ps-json.golden", []string{"ps", "--format", "{{json .Ports}} {{join (split .Names \",\") \"+\"}} {{title .State}} {{pad .ID 1 1}}|{{truncate .Command 5}}"}, ""},
		{"ps-size.golden", []string{"ps", "-l", "--format", "{{.ID}} {{.Size}}"}, "limit=1&size=1"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			r := runCLI(t, d.host(), "", tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("code %d stderr %q", r.code, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
			calls := d.calls
			if got := calls[len(calls)-1].Query; got != tc.query {
				t.Errorf("query = %q, want %q", got, tc.query)
			}
		})
	}
}

func sampleImages() []image.Summary {
	now := time.Now()
	return []image.Summary{
		{ID: "sha256:77f3ed126216214827f0c880aa0264a6d4153e291a4ce6138287f3d74f5ff356", RepoTags: []string{"busybox:latest", "busybox:1.35", "example.com/team/bb:v1"},
			RepoDigests: []string{"busybox@sha256:1111111111111111111111111111111111111111111111111111111111111111"},
			Created:     now.Add(-3 * 24 * time.Hour).Unix(), Size: 1_986_000, Containers: -1, SharedSize: -1},
		{ID: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Created: now.Add(-45 * time.Minute).Unix(), Size: 12_345_678, Containers: -1, SharedSize: -1},
	}
}

func TestImages(t *testing.T) {
	d := newDaemon(t, map[string]http.HandlerFunc{
		"GET /images/json": jsonRoute(sampleImages()),
		"GET /images/busybox/history": jsonRoute([]image.HistoryResponseItem{
			{ID: "sha256:77f3ed126216214827f0c880aa0264a6d4153e291a4ce6138287f3d74f5ff356", Created: time.Now().Add(-49 * time.Hour).Unix(), CreatedBy: "/bin/sh -c #(nop)\tCMD [\"sh\"] and a very long tail of arguments", Size: 1_986_000, Comment: "Imported from -"},
			{ID: "<missing>", Created: 0, CreatedBy: "", Size: 0},
		}),
	})
	tests := []struct {
		golden string
		args   []string
	}{
		{"images.golden", []string{"images"}},
		{"images-digests.golden", []string{"images", "--digests"}},
		{"images-q.golden", []string{"image", "ls", "-q"}},
		{"images-notrunc.golden", []string{"images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"}},
		{"history.golden", []string{"history", "busybox"}},
		{"history-nohuman.golden", []string{"image", "history", "-H=false", "--no-trunc", "busybox"}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			r := runCLI(t, d.host(), "", tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("code %d stderr %q", r.code, r.stderr)
			}
			if tc.golden == "history-nohuman.golden" {
				r.stdout = strings.ReplaceAll(r.stdout, time.Unix(time.Now().Add(-49*time.Hour).Unix(), 0).Format(time.RFC3339), "<time>")
				r.stdout = strings.ReplaceAll(r.stdout, time.Unix(0, 0).Format(time.RFC3339), "<epoch>")
			}
			golden(t, tc.golden, r.stdout)
		})
	}
	r := runCLI(t, d.host(), "", "images", "busybox")
	if c, _ := d.find("GET", "/images/json"); r.code != 0 || !strings.Contains(c.Query, "reference") {
		t.Errorf("images REPO: code %d query %q", r.code, c.Query)
	}
}
