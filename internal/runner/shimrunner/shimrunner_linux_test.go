package shimrunner

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/runner"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// attach attaches in the background and returns once the attach is in place.
func (e *env) attach(id, execID string, s runner.Streams) <-chan error {
	e.t.Helper()
	ready := make(chan struct{})
	s.Attached = func() { close(ready) }
	done := make(chan error, 1)
	go func() { done <- e.r.Attach(e.t.Context(), id, execID, s) }()
	select {
	case <-ready:
	case err := <-done:
		e.t.Fatalf("attach %s/%s: %v", id, execID, err)
	}
	return done
}

func waitAttach(t testing.TB, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("attach: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("attach did not end")
	}
}

// run creates, attaches and starts a container, and waits for its exit.
func (e *env) run(b runner.Bundle, s runner.Streams) runner.Exit {
	e.t.Helper()
	ctx := e.t.Context()
	if _, err := e.r.Create(ctx, b); err != nil {
		e.t.Fatalf("create: %v", err)
	}
	done := e.attach(b.ID, "", s)
	if err := e.r.Start(ctx, b.ID); err != nil {
		e.t.Fatalf("start: %v", err)
	}
	waitAttach(e.t, done)
	return e.waitExit(b.ID, "")
}

func readLog(t *testing.T, path string) []logfile.Message {
	t.Helper()
	var out []logfile.Message
	if err := logfile.Read(t.Context(), path, 3, logfile.ReadOptions{Tail: -1}, func(m logfile.Message) error {
		out = append(out, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunEchoAttachAndLog(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.bundle("echo1", "sh", "-c", "echo hello; echo oops >&2")
	var out, errb buffer
	x := e.run(b, runner.Streams{Stdout: &out, Stderr: &errb})
	if out.String() != "hello\n" || errb.String() != "oops\n" {
		t.Errorf("attach got stdout %q stderr %q", out.String(), errb.String())
	}
	if x.Code != 0 || x.OOMKilled || x.Pid <= 0 {
		t.Errorf("exit %+v", x)
	}
	msgs := readLog(t, e.logPath("echo1"))
	if len(msgs) != 2 {
		t.Fatalf("log has %d messages: %+v", len(msgs), msgs)
	}
	got := map[string]string{msgs[0].Stream: string(msgs[0].Line), msgs[1].Stream: string(msgs[1].Line)}
	if got["stdout"] != "hello\n" || got["stderr"] != "oops\n" {
		t.Errorf("log: %v", got)
	}
	raw, _ := os.ReadFile(e.logPath("echo1"))
	if !bytes.Contains(raw, []byte(`{"log":"hello\n","stream":"stdout","time":"`)) {
		t.Errorf("log is not in dockerd's json-file format:\n%s", raw)
	}
	st, err := e.r.State(ctx, "echo1")
	if err != nil || st.Status != runner.StatusStopped || st.Exit == nil || st.Exit.Code != 0 {
		t.Errorf("state %+v %v", st, err)
	}
	if err := e.r.Delete(ctx, "echo1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("bundle dir left: %v", err)
	}
	if m := mountsUnder(e.root); len(m) > 0 {
		t.Errorf("mounts left after delete: %v", m)
	}
	if _, err := os.Stat(cgroupPath("echo1")); !os.IsNotExist(err) {
		t.Errorf("cgroup left after delete: %v", err)
	}
	if _, err := e.r.State(ctx, "echo1"); !errdefs.IsNotFound(err) {
		t.Errorf("state after delete: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		id   string
		args []string
		want int
	}{
		{"exit7", []string{"sh", "-c", "exit 7"}, 7},
		{"true", []string{"true"}, 0},
		{"exit255", []string{"sh", "-c", "exit 255"}, 255},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			x := e.run(e.bundle(tc.id, tc.args...), runner.Streams{})
			if x.Code != tc.want {
				t.Errorf("exit code %d, want %d", x.Code, tc.want)
			}
			if err := e.r.Delete(t.Context(), tc.id, false); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCreateFailure(t *testing.T) {
	e := newEnv(t)
	b := e.bundle("nope1", "nope")
	_, err := e.r.Create(t.Context(), b)
	if !errdefs.IsInternal(err) || !strings.Contains(err.Error(), `exec: "nope": executable file not found in $PATH`) {
		t.Fatalf("create error %v", err)
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("bundle dir left after a failed create: %v", err)
	}
	if m := mountsUnder(e.root); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	if sts, _ := e.r.List(t.Context()); len(sts) != 0 {
		t.Errorf("list after a failed create: %+v", sts)
	}
	if b, _ := os.ReadFile(e.logPath("nope1")); len(b) != 0 {
		t.Errorf("the runtime's message went to the container log: %s", b)
	}
}

func TestErrorsAndForceDelete(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.r.Start(ctx, "ghost"); !errdefs.IsNotFound(err) {
		t.Errorf("start unknown: %v", err)
	}
	if err := e.r.Kill(ctx, "ghost", 9, false); !errdefs.IsNotFound(err) {
		t.Errorf("kill unknown: %v", err)
	}
	b := e.bundle("sleeper", "sleep", "3600")
	pid, err := e.r.Create(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.Create(ctx, b); !errdefs.IsAlreadyExists(err) {
		t.Errorf("second create: %v", err)
	}
	if st, _ := e.r.State(ctx, "sleeper"); st.Status != runner.StatusCreated || st.Pid != pid {
		t.Errorf("state after create %+v (pid %d)", st, pid)
	}
	if err := e.r.Start(ctx, "sleeper"); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "sleeper"); !errdefs.IsConflict(err) {
		t.Errorf("start running: %v", err)
	}
	pids, err := e.r.Pids(ctx, "sleeper")
	if err != nil || len(pids) != 1 || pids[0] != pid {
		t.Errorf("pids %v %v, want [%d]", pids, err, pid)
	}
	if err := e.r.Delete(ctx, "sleeper", false); !errdefs.IsConflict(err) {
		t.Errorf("delete running without force: %v", err)
	}
	if err := e.r.Delete(ctx, "sleeper", true); err != nil {
		t.Fatal(err)
	}
	if x := e.waitExit("sleeper", ""); x.Code != 137 {
		t.Errorf("forced delete exit %+v", x)
	}
	if _, err := os.Stat(cgroupPath("sleeper")); !os.IsNotExist(err) {
		t.Errorf("cgroup left: %v", err)
	}
	if err := e.r.Kill(ctx, "sleeper", 9, false); !errdefs.IsNotFound(err) {
		t.Errorf("kill deleted: %v", err)
	}
}

func TestKillAndDeleteCreated(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// Never started: Delete without force is allowed.
	if _, err := e.r.Create(ctx, e.bundle("created", "true")); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Delete(ctx, "created", false); err != nil {
		t.Fatalf("delete created: %v", err)
	}
	// Kill with a signal the process handles.
	b := e.bundle("trap", "sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done")
	if _, err := e.r.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	var out buffer
	done := e.attach("trap", "", runner.Streams{Stdout: &out})
	if err := e.r.Start(ctx, "trap"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready", func() bool { return out.String() == "ready\n" })
	if err := e.r.Kill(ctx, "trap", 15, false); err != nil {
		t.Fatal(err)
	}
	waitAttach(t, done)
	if x := e.waitExit("trap", ""); x.Code != 42 {
		t.Errorf("exit %+v", x)
	}
	if err := e.r.Kill(ctx, "trap", 15, false); !errdefs.IsConflict(err) {
		t.Errorf("kill stopped: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.exits {
		if x.ID == "created" {
			t.Errorf("an exit was reported for a container removed before it started: %+v", x)
		}
	}
}

func TestExec(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.r.Create(ctx, e.bundle("ex", "sleep", "3600")); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "ex"); err != nil {
		t.Fatal(err)
	}
	// The output must be complete when the exit is delivered.
	var out, errb buffer
	seen := make(chan string, 4)
	e.onExit = func(x runner.Exit) {
		if x.ExecID != "" {
			seen <- x.ExecID + ":" + out.String() + "|" + errb.String()
		}
	}
	proc := func(args ...string) *specs.Process {
		return &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=/bin"}, Capabilities: spec("x", nil).Process.Capabilities}
	}
	streams := &runner.Streams{Stdout: &out, Stderr: &errb}
	if _, err := e.r.Exec(ctx, "ex", "ps1", runner.ExecProcess{Spec: proc("ps"), Streams: streams}); err != nil {
		t.Fatal(err)
	}
	if x := e.waitExit("ex", "ps1"); x.Code != 0 {
		t.Errorf("ps exit %+v", x)
	}
	got := <-seen
	if !strings.Contains(got, "    1 root") || !strings.Contains(got, "sleep 3600") {
		t.Errorf("ps output at exit time: %q", got)
	}
	out, errb = buffer{}, buffer{}
	if _, err := e.r.Exec(ctx, "ex", "e2", runner.ExecProcess{
		Spec: proc("sh", "-c", "echo o; echo e >&2; exit 3"), Streams: streams,
	}); err != nil {
		t.Fatal(err)
	}
	if x := e.waitExit("ex", "e2"); x.Code != 3 {
		t.Errorf("exit %+v", x)
	}
	if got := <-seen; got != "e2:o\n|e\n" {
		t.Errorf("output at exit time: %q", got)
	}
	_, err := e.r.Exec(ctx, "ex", "e3", runner.ExecProcess{Spec: proc("nope"), Streams: &runner.Streams{Stdout: io.Discard}})
	if !errdefs.IsInternal(err) || !strings.Contains(err.Error(), `exec: "nope": executable file not found in $PATH`) {
		t.Errorf("exec nope: %v", err)
	}
	if _, err := e.r.Exec(ctx, "ghost", "e4", runner.ExecProcess{Spec: proc("true")}); !errdefs.IsNotFound(err) {
		t.Errorf("exec in unknown container: %v", err)
	}
	// Attach first, then exec (the other order the contract allows), with stdin.
	var catOut buffer
	done := e.attach("ex", "cat1", runner.Streams{Stdin: strings.NewReader("piped\n"), Stdout: &catOut})
	if _, err := e.r.Exec(ctx, "ex", "cat1", runner.ExecProcess{Spec: proc("cat"), Stdin: true}); err != nil {
		t.Fatal(err)
	}
	waitAttach(t, done)
	if x := e.waitExit("ex", "cat1"); x.Code != 0 || catOut.String() != "piped\n" {
		t.Errorf("cat exec: %+v output %q", x, catOut.String())
	}
	if logs := readLog(t, e.logPath("ex")); len(logs) != 0 {
		t.Errorf("exec output was logged: %+v", logs)
	}
}

func TestStdin(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// StdinOnce: the first attacher's EOF closes cat's stdin, so cat exits.
	b := e.bundle("once", "cat")
	b.Stdin, b.StdinOnce = true, true
	var out buffer
	x := e.run(b, runner.Streams{Stdin: strings.NewReader("hello cat\n"), Stdout: &out})
	if x.Code != 0 || out.String() != "hello cat\n" {
		t.Errorf("exit %+v output %q", x, out.String())
	}
	// Without StdinOnce the stdin stays open after the attacher detaches,
	// until CloseStdin.
	b = e.bundle("open", "cat")
	b.Stdin = true
	if _, err := e.r.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	out = buffer{}
	done := e.attach("open", "", runner.Streams{Stdin: strings.NewReader("one\n"), Stdout: &out, DetachOnStdinEOF: true})
	if err := e.r.Start(ctx, "open"); err != nil {
		t.Fatal(err)
	}
	waitAttach(t, done)
	time.Sleep(200 * time.Millisecond)
	if st, _ := e.r.State(ctx, "open"); st.Status != runner.StatusRunning {
		t.Fatalf("cat stopped after its attacher detached: %+v", st)
	}
	if err := e.r.CloseStdin(ctx, "open", ""); err != nil {
		t.Fatal(err)
	}
	if x := e.waitExit("open", ""); x.Code != 0 {
		t.Errorf("exit %+v", x)
	}
	msgs := readLog(t, e.logPath("open"))
	if len(msgs) != 1 || string(msgs[0].Line) != "one\n" {
		t.Errorf("log %+v", msgs)
	}
}

func TestTerminal(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.bundle("tty", "sh")
	b.Spec.Process.Terminal = true
	b.Stdin = true
	if _, err := e.r.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	var out buffer
	done := e.attach("tty", "", runner.Streams{Stdin: inR, Stdout: &out})
	if err := e.r.Resize(ctx, "tty", "", 100, 40); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "tty"); err != nil {
		t.Fatal(err)
	}
	io.WriteString(inW, "stty size\n")
	waitFor(t, "stty size output", func() bool { return strings.Contains(out.String(), "40 100") })
	if err := e.r.Resize(ctx, "tty", "", 132, 50); err != nil {
		t.Fatal(err)
	}
	io.WriteString(inW, "stty size; exit 5\n")
	waitAttach(t, done)
	if !strings.Contains(out.String(), "50 132") {
		t.Errorf("after resize: %q", out.String())
	}
	if x := e.waitExit("tty", ""); x.Code != 5 {
		t.Errorf("exit %+v", x)
	}
	if logs := readLog(t, e.logPath("tty")); len(logs) == 0 || logs[0].Stream != "stdout" {
		t.Errorf("terminal output not logged as stdout: %+v", logs)
	}
	inW.Close()
}

func TestOOMKilled(t *testing.T) {
	e := newEnv(t)
	b := e.bundle("oom", "sh", "-c", `x=$(head -c 67108864 /dev/zero | tr "\0" a); echo ${#x}`)
	limit := int64(32 << 20)
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	x := e.run(b, runner.Streams{})
	if x.Code != 137 || !x.OOMKilled {
		t.Errorf("exit %+v, want code 137 and OOMKilled", x)
	}
	st, err := e.r.State(t.Context(), "oom")
	if err != nil || st.Exit == nil || !st.Exit.OOMKilled {
		t.Errorf("state %+v %v", st, err)
	}
}

func TestOutputBeforeAttachIsLoggedOnly(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.bundle("late", "sh", "-c", "echo early; sleep 0.5; echo late")
	if _, err := e.r.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first line logged", func() bool { return len(readLog(t, e.logPath("late"))) == 1 })
	var out buffer
	waitAttach(t, e.attach("late", "", runner.Streams{Stdout: &out}))
	if out.String() != "late\n" {
		t.Errorf("late attacher got %q", out.String())
	}
	e.waitExit("late", "")
	// Attaching to a stopped container ends at once.
	if err := e.r.Attach(ctx, "late", "", runner.Streams{Stdout: &out}); err != nil {
		t.Errorf("attach stopped: %v", err)
	}
	if err := e.r.Attach(ctx, "ghost", "", runner.Streams{}); !errdefs.IsNotFound(err) {
		t.Errorf("attach unknown: %v", err)
	}
}

func TestAttachCancel(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.r.Create(ctx, e.bundle("long", "sleep", "3600")); err != nil {
		t.Fatal(err)
	}
	actx, cancel := contextWithTimeout(t, 200*time.Millisecond)
	defer cancel()
	err := e.r.Attach(actx, "long", "", runner.Streams{Stdout: io.Discard})
	if !errors.Is(err, actx.Err()) || actx.Err() == nil {
		t.Errorf("cancelled attach: %v", err)
	}
}

func TestLargeOutputAndRotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	// A container's log rotates like dockerd's (max-size 64k, max-file 2).
	b := e.bundle("rot", "seq", "1", "20000")
	b.Log.MaxSize, b.Log.MaxFiles = 64<<10, 2
	var out buffer
	e.run(b, runner.Streams{Stdout: &out})
	if n := strings.Count(out.String(), "\n"); n != 20000 {
		t.Errorf("attach got %d lines", n)
	}
	if _, err := os.Stat(e.logPath("rot") + ".1"); err != nil {
		t.Errorf("no rotated file: %v", err)
	}
	var last string
	logfile.Read(ctx, e.logPath("rot"), 2, logfile.ReadOptions{Tail: 1}, func(m logfile.Message) error {
		last = string(m.Line)
		return nil
	})
	if last != "20000\n" {
		t.Errorf("last logged line %q", last)
	}
	// An exec's large output is complete when its exit is delivered.
	if _, err := e.r.Create(ctx, e.bundle("big", "sleep", "3600")); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	var big buffer
	lenAtExit := make(chan int, 1)
	e.onExit = func(x runner.Exit) {
		if x.ExecID == "seq" {
			lenAtExit <- len(big.String())
		}
	}
	p := &specs.Process{Args: []string{"seq", "1", "100000"}, Cwd: "/", Env: []string{"PATH=/bin"}}
	if _, err := e.r.Exec(ctx, "big", "seq", runner.ExecProcess{Spec: p, Streams: &runner.Streams{Stdout: &big}}); err != nil {
		t.Fatal(err)
	}
	e.waitExit("big", "seq")
	if n, want := <-lenAtExit, 588895; n != want {
		t.Errorf("exec output at exit time: %d bytes, want %d", n, want)
	}
}

func TestExecTerminal(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.r.Create(ctx, e.bundle("host", "sleep", "3600")); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "host"); err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	defer inW.Close()
	var out buffer
	p := &specs.Process{Args: []string{"sh"}, Cwd: "/", Env: []string{"PATH=/bin", "TERM=xterm"}, Terminal: true}
	if _, err := e.r.Exec(ctx, "host", "tty1", runner.ExecProcess{Spec: p, Stdin: true, Streams: &runner.Streams{Stdin: inR, Stdout: &out}}); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Resize(ctx, "host", "tty1", 90, 33); err != nil {
		t.Fatal(err)
	}
	io.WriteString(inW, "stty size; exit 3\n")
	if x := e.waitExit("host", "tty1"); x.Code != 3 {
		t.Errorf("exit %+v", x)
	}
	if !strings.Contains(out.String(), "33 90") {
		t.Errorf("exec terminal output %q", out.String())
	}
}

// TestRecreate is `docker restart`'s shape: delete, then create the same ID
// in the same bundle directory; the log goes on.
func TestRecreate(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for i := range 2 {
		b := e.bundle("again", "sh", "-c", "echo run; exit 2")
		if x := e.run(b, runner.Streams{}); x.Code != 2 {
			t.Fatalf("run %d: exit %+v", i, x)
		}
		e.mu.Lock()
		e.exits = nil
		e.mu.Unlock()
		if err := e.r.Delete(ctx, "again", false); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := readLog(t, e.logPath("again")); len(msgs) != 2 {
		t.Errorf("log after two runs: %+v", msgs)
	}
}
