package server

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
)

// newSDKClient returns the official Go SDK, negotiating the API version,
// talking to a Server over a unix socket like berthd's.
func newSDKClient(t *testing.T) (*fakeEngine, *client.Client) {
	t.Helper()
	e, sock := newUnixServer(t)
	c, err := client.New(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return e, c
}

// TestSDKContainerFlow drives the server with the real moby client through
// docker run's sequence: create, attach, wait, start, then logs, inspect,
// list, exec and remove.
func TestSDKContainerFlow(t *testing.T) {
	_, c := newSDKClient(t)
	ctx := t.Context()

	ping, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil || ping.APIVersion != "1.56" || ping.OSType != "linux" || ping.SwarmStatus == nil {
		t.Fatalf("ping: %+v %v", ping, err)
	}
	v, err := c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil || v.Version != "0.0.0-test" {
		t.Fatalf("version: %+v %v", v, err)
	}
	if _, err := c.Info(ctx, client.InfoOptions{}); err != nil {
		t.Fatalf("info: %v", err)
	}

	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{Image: "nope"})
	if !cerrdefs.IsNotFound(err) || !strings.Contains(err.Error(), "No such image: nope") {
		t.Fatalf("create with a missing image: %v", err)
	}
	cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sdk",
		Config: &container.Config{Image: "busybox", Cmd: []string{"cat"}, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true}})
	if err != nil || cr.ID == "" {
		t.Fatalf("create: %+v %v", cr, err)
	}
	att, err := c.ContainerAttach(ctx, cr.ID, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	defer att.Close()
	if mt, ok := att.MediaType(); !ok || mt != "application/vnd.docker.multiplexed-stream" {
		t.Errorf("attach media type %q %v", mt, ok)
	}
	wait := c.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	if _, err := io.WriteString(att.Conn, "via sdk\n"); err != nil {
		t.Fatal(err)
	}
	if err := att.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, att.Reader); err != nil || out.String() != "via sdk\n" {
		t.Errorf("attach output %q: %v", out.String(), err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 0 || res.Error != nil {
			t.Errorf("wait: %+v", res)
		}
	case err := <-wait.Error:
		t.Fatalf("wait: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("wait never returned")
	}

	logs, err := c.ContainerLogs(ctx, "sdk", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Tail: "1"})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	out.Reset()
	_, err = stdcopy.StdCopy(&out, io.Discard, logs)
	logs.Close()
	if err != nil || out.String() != "2023-11-14T22:13:20.000000005Z via sdk\n" {
		t.Errorf("logs %q: %v", out.String(), err)
	}

	ins, err := c.ContainerInspect(ctx, "sdk", client.ContainerInspectOptions{})
	if err != nil || ins.Container.ID != cr.ID || ins.Container.State.Status != container.StateExited {
		t.Fatalf("inspect: %+v %v", ins.Container.State, err)
	}
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("name", "sdk")})
	if err != nil || len(list.Items) != 1 || list.Items[0].Names[0] != "/sdk" {
		t.Fatalf("list: %+v %v", list, err)
	}

	sdkExec(t, c)

	if _, err := c.ContainerRemove(ctx, "sdk", client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := c.ContainerInspect(ctx, "sdk", client.ContainerInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect after remove: %v", err)
	}
}

// sdkExec runs an exec with stdin in a running container through the SDK.
func sdkExec(t *testing.T, c *client.Client) {
	ctx := t.Context()
	cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sdk-exec", Config: &container.Config{Image: "busybox", Cmd: []string{"sleep"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	ex, err := c.ExecCreate(ctx, cr.ID, client.ExecCreateOptions{Cmd: []string{"cat"}, AttachStdin: true, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("exec create: %v", err)
	}
	hj, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec attach: %v", err)
	}
	defer hj.Close()
	_, _ = io.WriteString(hj.Conn, "exec in\n")
	_ = hj.CloseWrite()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, hj.Reader); err != nil || out.String() != "exec in\n" {
		t.Errorf("exec output %q: %v", out.String(), err)
	}
	ei, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil || ei.Running || ei.ExitCode != 0 || ei.ContainerID != cr.ID {
		t.Errorf("exec inspect: %+v %v", ei, err)
	}
	ex2, err := c.ExecCreate(ctx, cr.ID, client.ExecCreateOptions{Cmd: []string{"echo", "detached"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecStart(ctx, ex2.ID, client.ExecStartOptions{Detach: true}); err != nil {
		t.Errorf("detached exec start: %v", err)
	}
}

func TestSDKImages(t *testing.T) {
	_, c := newSDKClient(t)
	ctx := t.Context()
	imgs, err := c.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil || len(imgs.Items) != 1 || imgs.Items[0].RepoTags[0] != "busybox:latest" {
		t.Fatalf("image list: %+v %v", imgs, err)
	}
	ii, err := c.ImageInspect(ctx, "busybox")
	if err != nil || ii.ID == "" {
		t.Fatalf("image inspect: %v", err)
	}
	if _, err := c.ImageInspect(ctx, "nope"); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect missing image: %v", err)
	}
	if _, err := c.ImageTag(ctx, client.ImageTagOptions{Source: "busybox", Target: "registry.example/bb:v1"}); err != nil {
		t.Fatalf("tag: %v", err)
	}

	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	_ = tw.WriteHeader(&tar.Header{Name: "loaded:1", Mode: 0o644})
	_ = tw.Close()
	lr, err := c.ImageLoad(ctx, &tb, client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	lb, _ := io.ReadAll(lr)
	lr.Close()
	if !strings.Contains(string(lb), "Loaded image: loaded:1") {
		t.Errorf("load output %q", lb)
	}

	sr, err := c.ImageSave(ctx, []string{"loaded:1"})
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	h, err := tar.NewReader(sr).Next()
	sr.Close()
	if err != nil || h.Name != "loaded:1" {
		t.Errorf("save: %v %v", h, err)
	}

	ir, err := c.ImageImport(ctx, client.ImageImportSource{Source: strings.NewReader("rootfs"), SourceName: "-"},
		"imported:v1", client.ImageImportOptions{Message: "sdk import"})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	ib, _ := io.ReadAll(ir)
	ir.Close()
	if !strings.Contains(string(ib), `"status":"sha256:`) {
		t.Errorf("import output %q", ib)
	}
	if _, err := c.ImageInspect(ctx, "imported:v1"); err != nil {
		t.Errorf("inspect imported: %v", err)
	}

	rm, err := c.ImageRemove(ctx, "registry.example/bb:v1", client.ImageRemoveOptions{Force: true})
	if err != nil || len(rm.Items) == 0 {
		t.Fatalf("remove: %+v %v", rm, err)
	}
	if _, err := c.ImageRemove(ctx, "busybox", client.ImageRemoveOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("remove again: %v", err)
	}
}

func TestSDKEvents(t *testing.T) {
	_, c := newSDKClient(t)
	ctx := t.Context()
	res := c.Events(ctx, client.EventsListOptions{Filters: client.Filters{}.Add("type", "container")})
	// The subscription is live once the response headers arrived; give the
	// client's goroutine a moment, then create.
	time.Sleep(50 * time.Millisecond)
	if _, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "ev", Image: "busybox"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-res.Messages:
		if m.Type != events.ContainerEventType || m.Action != events.ActionCreate || m.Actor.Attributes["name"] != "ev" {
			t.Errorf("event: %+v", m)
		}
	case err := <-res.Err:
		t.Fatalf("events: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}
