package shimrunner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/runner"
)

// helperEnv makes the test binary act as a stand-in berthd (see TestMain).
const helperEnv = "BERTH_SHIMRUNNER_HELPER"

type helperArgs struct {
	Mon    string
	Binary string
	Bundle runner.Bundle
}

// helperDaemon is the stand-in berthd: it starts the monitor through a
// runner, creates and starts a container, says "ready" and waits to be
// killed.
func helperDaemon() int {
	var a helperArgs
	if err := json.Unmarshal([]byte(os.Getenv(helperEnv)), &a); err != nil {
		fmt.Println("bad args:", err)
		return 1
	}
	ctx := context.Background()
	r, err := New(ctx, Options{Root: a.Mon, Binary: a.Binary, OnExit: func(runner.Exit) {}})
	if err != nil {
		fmt.Println("new:", err)
		return 1
	}
	if _, err := r.Create(ctx, a.Bundle); err != nil {
		fmt.Println("create:", err)
		return 1
	}
	if err := r.Start(ctx, a.Bundle.ID); err != nil {
		fmt.Println("start:", err)
		return 1
	}
	fmt.Println("ready")
	select {}
}

func TestDaemonRestart(t *testing.T) {
	e := newEnv(t)
	e.r.Close() // the stand-in daemon owns the monitor first
	ctx := t.Context()
	b := e.bundle("survivor", "sh", "-c", "echo one; sleep 1; echo two; exit 3")
	args, _ := json.Marshal(helperArgs{Mon: e.mon, Binary: fixture.binary, Bundle: b})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(args))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("stand-in daemon: %q", line)
	}
	// kill -9 the daemon's whole process group.
	monPid := e.monitorPid()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if monPid == 0 || syscall.Kill(monPid, 0) != nil {
		t.Fatalf("monitor %d died with the daemon", monPid)
	}
	// The container exits while no daemon is connected; its log goes on.
	time.Sleep(2 * time.Second)
	if syscall.Kill(monPid, 0) != nil {
		t.Fatal("monitor exited while it still had a container")
	}
	e.r = e.newRunner()
	x := e.waitExit("survivor", "")
	if x.Code != 3 {
		t.Errorf("exit delivered after restart: %+v", x)
	}
	sts, err := e.r.List(ctx)
	if err != nil || len(sts) != 1 || sts[0].Status != runner.StatusStopped || sts[0].Exit == nil || sts[0].Exit.Code != 3 {
		t.Errorf("list after restart: %+v %v", sts, err)
	}
	var lines []string
	for _, m := range readLog(t, e.logPath("survivor")) {
		lines = append(lines, string(m.Line))
	}
	if strings.Join(lines, "") != "one\ntwo\n" {
		t.Errorf("log across the restart: %q", lines)
	}
	if pid := e.monitorPid(); pid != monPid {
		t.Errorf("the new runner started another monitor (%d, was %d)", pid, monPid)
	}
	if err := e.r.Delete(ctx, "survivor", false); err != nil {
		t.Fatal(err)
	}
}

func TestMonitorIdleExit(t *testing.T) {
	e := newEnv(t)
	pid := e.monitorPid()
	if pid == 0 {
		t.Fatal("no monitor pid file")
	}
	// Connected: it stays even with no container.
	time.Sleep(500 * time.Millisecond)
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("monitor exited while a runner was connected")
	}
	// SIGTERM with a container: ignored.
	if _, err := e.r.Create(t.Context(), e.bundle("idle", "true")); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("monitor exited on SIGTERM with a container")
	}
	if err := e.r.Delete(t.Context(), "idle", false); err != nil {
		t.Fatal(err)
	}
	e.r.Close()
	if !waitGone(pid, 5*time.Second) {
		t.Fatal("monitor did not exit when idle and unconnected")
	}
	if _, err := os.Stat(e.mon + "/monitor.sock"); !os.IsNotExist(err) {
		t.Errorf("socket left: %v", err)
	}
	// A new runner starts a new monitor.
	e.r = e.newRunner()
	if p := e.monitorPid(); p == 0 || p == pid {
		t.Errorf("new monitor pid %d (old %d)", p, pid)
	}
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

// TestReconnect drops the runner's connection under it: the runner
// reconnects by itself, and an exit that happened meanwhile is delivered.
func TestReconnect(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.r.Create(ctx, e.bundle("rc", "sh", "-c", "sleep 0.5; exit 4")); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "rc"); err != nil {
		t.Fatal(err)
	}
	e.r.mu.Lock()
	old := e.r.sess
	e.r.mu.Unlock()
	old.close()
	<-old.dead
	if x := e.waitExit("rc", ""); x.Code != 4 {
		t.Errorf("exit %+v", x)
	}
	e.r.mu.Lock()
	cur := e.r.sess
	e.r.mu.Unlock()
	if cur == old || !cur.alive() {
		t.Error("the runner did not reconnect")
	}
	if st, err := e.r.State(ctx, "rc"); err != nil || st.Status != runner.StatusStopped {
		t.Errorf("state after reconnect %+v %v", st, err)
	}
}
