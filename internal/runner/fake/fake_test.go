package fake

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/runner"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type harness struct {
	t     *testing.T
	r     *Runner
	exits chan runner.Exit
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, exits: make(chan runner.Exit, 16)}
	h.r = New(func(e runner.Exit) { h.exits <- e })
	return h
}

func (h *harness) bundle(id string, args ...string) runner.Bundle {
	return runner.Bundle{
		ID: id, Spec: &specs.Spec{Process: &specs.Process{Args: args}},
		Log: runner.LogConfig{Path: filepath.Join(h.t.TempDir(), id+".log"), MaxFiles: 1},
	}
}

func (h *harness) exit() runner.Exit {
	h.t.Helper()
	select {
	case e := <-h.exits:
		return e
	case <-time.After(5 * time.Second):
		h.t.Fatal("no exit")
		return runner.Exit{}
	}
}

// run creates, attaches (in place before Start) and starts.
func (h *harness) run(b runner.Bundle, s runner.Streams) (runner.Exit, error) {
	ctx := h.t.Context()
	if _, err := h.r.Create(ctx, b); err != nil {
		return runner.Exit{}, err
	}
	ready := make(chan struct{})
	s.Attached = func() { close(ready) }
	done := make(chan error, 1)
	go func() { done <- h.r.Attach(ctx, b.ID, "", s) }()
	<-ready
	if err := h.r.Start(ctx, b.ID); err != nil {
		return runner.Exit{}, err
	}
	if err := <-done; err != nil {
		return runner.Exit{}, err
	}
	return h.exit(), nil
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestPrograms(t *testing.T) {
	tests := []struct {
		args     []string
		stdin    string
		code     int
		out, err string
	}{
		{[]string{"echo", "hello", "world"}, "", 0, "hello world\n", ""},
		{[]string{"/bin/true"}, "", 0, "", ""},
		{[]string{"false"}, "", 1, "", ""},
		{[]string{"sh", "-c", "exit 7"}, "", 7, "", ""},
		{[]string{"sh", "-c", "echo out; echo err >&2; exit 3"}, "", 3, "out\n", "err\n"},
		{[]string{"sh", "-c", "nope"}, "", 127, "", "sh: nope: not found\n"},
		{[]string{"sleep", "0.01"}, "", 0, "", ""},
		{[]string{"cat"}, "piped\n", 0, "piped\n", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			h := newHarness(t)
			b := h.bundle("c", tc.args...)
			var in io.Reader
			if tc.stdin != "" {
				b.Stdin, b.StdinOnce, in = true, true, strings.NewReader(tc.stdin)
			}
			var out, errb buffer
			e, err := h.run(b, runner.Streams{Stdin: in, Stdout: &out, Stderr: &errb})
			if err != nil {
				t.Fatal(err)
			}
			if e.Code != tc.code || out.String() != tc.out || errb.String() != tc.err {
				t.Errorf("code %d out %q err %q", e.Code, out.String(), errb.String())
			}
		})
	}
}

func TestLogAndState(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	b := h.bundle("c", "sh", "-c", "echo hi; echo oops >&2")
	if _, err := h.run(b, runner.Streams{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	logfile.Read(ctx, b.Log.Path, 1, logfile.ReadOptions{Tail: -1}, func(m logfile.Message) error {
		got = append(got, m.Stream+":"+string(m.Line))
		return nil
	})
	if strings.Join(got, "") != "stdout:hi\nstderr:oops\n" {
		t.Errorf("log %q", got)
	}
	st, err := h.r.State(ctx, "c")
	if err != nil || st.Status != runner.StatusStopped || st.Exit == nil || st.Exit.Code != 0 {
		t.Errorf("state %+v %v", st, err)
	}
	if err := h.r.Delete(ctx, "c", false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.r.State(ctx, "c"); !errdefs.IsNotFound(err) {
		t.Errorf("state after delete: %v", err)
	}
}

func TestErrors(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	_, err := h.r.Create(ctx, h.bundle("n", "nope"))
	if !errdefs.IsInternal(err) || !strings.Contains(err.Error(), `exec: "nope": executable file not found in $PATH`) {
		t.Errorf("create nope: %v", err)
	}
	if _, err := h.r.Create(ctx, h.bundle("s", "sleep", "infinity")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.r.Create(ctx, h.bundle("s", "true")); !errdefs.IsAlreadyExists(err) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := h.r.Exec(ctx, "s", "e", runner.ExecProcess{Spec: &specs.Process{Args: []string{"true"}}}); !errdefs.IsConflict(err) {
		t.Errorf("exec in created: %v", err)
	}
	h.r.Start(ctx, "s")
	if err := h.r.Start(ctx, "s"); !errdefs.IsConflict(err) {
		t.Errorf("start running: %v", err)
	}
	if err := h.r.Delete(ctx, "s", false); !errdefs.IsConflict(err) {
		t.Errorf("delete running: %v", err)
	}
	if err := h.r.Kill(ctx, "ghost", 9, false); !errdefs.IsNotFound(err) {
		t.Errorf("kill unknown: %v", err)
	}
	if err := h.r.Kill(ctx, "s", 15, false); err != nil {
		t.Fatal(err)
	}
	if e := h.exit(); e.Code != 143 {
		t.Errorf("sleep killed by TERM: %+v", e)
	}
	if err := h.r.Kill(ctx, "s", 15, false); !errdefs.IsConflict(err) {
		t.Errorf("kill stopped: %v", err)
	}
	h.r.Hooks.Start = func(string) error { return errdefs.Errorf(errdefs.ErrInternal, "boom") }
	h.r.Create(ctx, h.bundle("h", "true"))
	if err := h.r.Start(ctx, "h"); err == nil || err.Error() != "boom" {
		t.Errorf("hook: %v", err)
	}
}

func TestForceDeleteAndSIGKILL(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	// A program that ignores every signal still dies on SIGKILL.
	h.r.Handle("stubborn", func(p *Process) int {
		for {
			time.Sleep(time.Millisecond)
			if p.Context().Err() != nil {
				return 0
			}
		}
	})
	h.r.Create(ctx, h.bundle("s", "stubborn"))
	h.r.Start(ctx, "s")
	if err := h.r.Delete(ctx, "s", true); err != nil {
		t.Fatal(err)
	}
	if e := h.exit(); e.Code != 137 {
		t.Errorf("exit %+v", e)
	}
	if l, _ := h.r.List(ctx); len(l) != 0 {
		t.Errorf("list %+v", l)
	}
}

func TestExec(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.r.Create(ctx, h.bundle("c", "sleep", "infinity"))
	h.r.Start(ctx, "c")
	var out buffer
	_, err := h.r.Exec(ctx, "c", "e1", runner.ExecProcess{
		Spec:    &specs.Process{Args: []string{"sh", "-c", "echo exec output; exit 4"}},
		Streams: &runner.Streams{Stdout: &out},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := h.exit()
	if e.ExecID != "e1" || e.Code != 4 || out.String() != "exec output\n" {
		t.Errorf("exit %+v, output at exit time %q", e, out.String())
	}
	// Attach first, then exec, with stdin.
	var catOut buffer
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.r.Attach(ctx, "c", "e2", runner.Streams{
			Stdin: strings.NewReader("in\n"), Stdout: &catOut, Attached: func() { close(ready) },
		})
	}()
	<-ready
	if _, err := h.r.Exec(ctx, "c", "e2", runner.ExecProcess{Spec: &specs.Process{Args: []string{"cat"}}, Stdin: true}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e := h.exit(); e.ExecID != "e2" || e.Code != 0 || catOut.String() != "in\n" {
		t.Errorf("cat exec %+v %q", e, catOut.String())
	}
	if pids, _ := h.r.Pids(ctx, "c"); len(pids) != 1 {
		t.Errorf("pids %v", pids)
	}
	h.r.Resize(ctx, "c", "", 80, 24)
	if w, hh := h.r.TerminalSize("c", ""); w != 80 || hh != 24 {
		t.Errorf("size %dx%d", w, hh)
	}
}

func TestStdinWithoutStdinOnce(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	b := h.bundle("c", "cat")
	b.Stdin = true
	h.r.Create(ctx, b)
	var out buffer
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- h.r.Attach(actx, "c", "", runner.Streams{
			Stdin: strings.NewReader("x\n"), Stdout: &out, DetachOnStdinEOF: true, Attached: func() { close(ready) },
		})
	}()
	<-ready
	h.r.Start(ctx, "c")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := h.r.State(ctx, "c"); st.Status != runner.StatusRunning {
		t.Fatalf("cat ended when its attacher detached: %+v", st)
	}
	h.r.CloseStdin(ctx, "c", "")
	if e := h.exit(); e.Code != 0 {
		t.Errorf("exit %+v", e)
	}
}
