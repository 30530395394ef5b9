package e2e

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Acceptance 4: the container life cycle through the official Go SDK.
func TestSDKLifecycle(t *testing.T) {
	d := startDaemon(t)
	c, err := client.New(client.WithHost(d.host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()

	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatalf("ping: %v", err)
	}
	f, err := os.Open(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := c.ImageImport(ctx, client.ImageImportSource{Source: f, SourceName: "-"}, "busybox:latest",
		client.ImageImportOptions{Changes: []string{`CMD ["sh"]`}})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	_, _ = io.Copy(io.Discard, imp)
	imp.Close()
	f.Close()
	imgs, err := c.ImageList(ctx, client.ImageListOptions{})
	if err != nil || len(imgs.Items) != 1 || imgs.Items[0].RepoTags[0] != "busybox:latest" {
		t.Fatalf("image list: %+v %v", imgs, err)
	}

	if _, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: "nope"}}); !cerrdefs.IsNotFound(err) {
		t.Fatalf("create with a missing image: %v", err)
	}
	cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sdk",
		Config: &container.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}}})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	wait := c.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start: %v", err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 3 {
			t.Fatalf("wait: %+v", res)
		}
	case err := <-wait.Error:
		t.Fatalf("wait: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("wait never returned")
	}
	logs, err := c.ContainerLogs(ctx, "sdk", client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	if err != nil || stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Fatalf("logs: %q %q %v", stdout.String(), stderr.String(), err)
	}
	ins, err := c.ContainerInspect(ctx, "sdk", client.ContainerInspectOptions{})
	if err != nil || ins.Container.State.ExitCode != 3 || ins.Container.State.Status != container.StateExited {
		t.Fatalf("inspect: %+v %v", ins.Container.State, err)
	}
	sdkExecAndStop(t, c)
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	for _, it := range list.Items {
		if _, err := c.ContainerRemove(ctx, it.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Fatalf("remove: %v", err)
		}
	}
	if _, err := c.ContainerInspect(ctx, "sdk", client.ContainerInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Fatalf("inspect after remove: %v", err)
	}
}

// sdkExecAndStop runs an exec with stdin in a running container, then stops it.
func sdkExecAndStop(t *testing.T, c *client.Client) {
	ctx := t.Context()
	cr, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "sdk-exec",
		Config: &container.Config{Image: "busybox", Cmd: []string{"sleep", "1000"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	ex, err := c.ExecCreate(ctx, cr.ID, client.ExecCreateOptions{Cmd: []string{"sh", "-c", "tr a-z A-Z; exit 4"},
		AttachStdin: true, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("exec create: %v", err)
	}
	hj, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec attach: %v", err)
	}
	_, _ = io.WriteString(hj.Conn, "exec in\n")
	_ = hj.CloseWrite()
	var out bytes.Buffer
	_, err = stdcopy.StdCopy(&out, io.Discard, hj.Reader)
	hj.Close()
	if err != nil || out.String() != "EXEC IN\n" {
		t.Fatalf("exec output %q: %v", out.String(), err)
	}
	ei, err := c.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil || ei.Running || ei.ExitCode != 4 {
		t.Fatalf("exec inspect: %+v %v", ei, err)
	}
	timeout := 1
	if _, err := c.ContainerStop(ctx, cr.ID, client.ContainerStopOptions{Timeout: &timeout}); err != nil {
		t.Fatalf("stop: %v", err)
	}
	ins, err := c.ContainerInspect(ctx, cr.ID, client.ContainerInspectOptions{})
	if err != nil || ins.Container.State.Running || !strings.HasPrefix(ins.Container.State.FinishedAt, "20") {
		t.Fatalf("after stop: %+v %v", ins.Container.State, err)
	}
}
