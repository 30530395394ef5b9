package shim

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/shim/wire"
	"golang.org/x/sys/unix"
)

// peer is the runner's end of an attach connection.
type peer struct{ c *wire.Conn }

func newAttachPair(t *testing.T, stdin bool) (*attacher, peer) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return newAttacher(wire.NewConn(a, 512), stdin), peer{wire.NewConn(b, 64<<10)}
}

func (p peer) next(t *testing.T) (byte, string) {
	t.Helper()
	type frame struct {
		kind byte
		p    string
		err  error
	}
	ch := make(chan frame, 1)
	go func() {
		k, b, err := p.c.Read()
		ch <- frame{k, string(b), err}
	}()
	select {
	case f := <-ch:
		if f.err != nil {
			t.Fatalf("read frame: %v", f.err)
		}
		return f.kind, f.p
	case <-time.After(5 * time.Second):
		t.Fatal("no frame")
		return 0, ""
	}
}

func TestStdioAttachAndLog(t *testing.T) {
	s, pf, err := newPipes(true)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "c.log")
	if s.log, err = logfile.Open(logPath, 0, 1); err != nil {
		t.Fatal(err)
	}
	s.stdinOnce = true
	a, p := newAttachPair(t, true)
	go s.register(a)
	if k, _ := p.next(t); k != wire.KindResponse {
		t.Fatalf("first frame %c, want the acknowledgement", k)
	}
	s.start(t.Context())
	pf[1].WriteString("out line\n")
	if k, b := p.next(t); k != wire.KindStdout || b != "out line\n" {
		t.Errorf("got %c %q", k, b)
	}
	pf[2].WriteString("err line\n")
	if k, b := p.next(t); k != wire.KindStderr || b != "err line\n" {
		t.Errorf("got %c %q", k, b)
	}
	// Input from the attacher reaches the process; its EOF closes stdin
	// (StdinOnce).
	s.writeStdin(a, []byte("typed"))
	s.stdinEOF(a)
	in, _ := readAllTimeout(pf[0])
	if in != "typed" {
		t.Errorf("process read %q", in)
	}
	// A second attacher joins late; both see later output.
	a2, p2 := newAttachPair(t, false)
	go s.register(a2)
	p2.next(t)
	pf[1].WriteString("partial")
	p.next(t)
	p2.next(t)
	pf.close()
	s.waitDrained(time.Second)
	go s.finish(nil)
	for _, pp := range []peer{p, p2} {
		if k, _ := pp.next(t); k != wire.KindEnd {
			t.Errorf("got %c, want End", k)
		}
	}
	b, _ := os.ReadFile(logPath)
	for _, want := range []string{`{"log":"out line\n","stream":"stdout"`, `{"log":"err line\n","stream":"stderr"`, `{"log":"partial","stream":"stdout"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("log lacks %s:\n%s", want, b)
		}
	}
	// Attaching after the end gets an acknowledgement and End at once.
	a3, p3 := newAttachPair(t, false)
	go s.register(a3)
	if k, _ := p3.next(t); k != wire.KindResponse {
		t.Errorf("late attach: %c", k)
	}
	if k, _ := p3.next(t); k != wire.KindEnd {
		t.Errorf("late attach: %c, want End", k)
	}
}

func TestStdioDrainTimeout(t *testing.T) {
	s, pf, err := newPipes(false)
	if err != nil {
		t.Fatal(err)
	}
	s.start(t.Context())
	// The process "exited" but something still holds stdout open.
	start := time.Now()
	s.waitDrained(100 * time.Millisecond)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waitDrained took %v", d)
	}
	pf.close()
}

func TestStdinOwnership(t *testing.T) {
	s, pf, err := newPipes(true)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.close()
	a1, _ := newAttachPair(t, true)
	a2, _ := newAttachPair(t, true)
	s.writeStdin(a1, []byte("one "))
	s.writeStdin(a2, []byte("ignored "))
	s.remove(a1) // detaching hands stdin over
	s.writeStdin(a2, []byte("two"))
	s.closeStdin()
	got, _ := readAllTimeout(pf[0])
	if got != "one two" {
		t.Errorf("stdin got %q", got)
	}
}

func readAllTimeout(f *os.File) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1024)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Read(int(f.Fd()), buf)
		if n > 0 {
			b.Write(buf[:n])
		}
		if n == 0 || (err != nil && err != unix.EAGAIN) {
			return b.String(), err
		}
	}
	return b.String(), os.ErrDeadlineExceeded
}

func TestOOMCounter(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content string
		want    int
	}{
		{"oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3},
		{"low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n", 1},
		{"", 0},
	}
	for i, tc := range tests {
		f := filepath.Join(dir, strings.Repeat("x", i+1))
		os.WriteFile(f, []byte(tc.content), 0o644)
		if got := readOOMKills(f); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.content, got, tc.want)
		}
	}
	if readOOMKills(filepath.Join(dir, "missing")) != 0 || readOOMKills("") != 0 {
		t.Error("a missing counter must read 0")
	}
	if f := oomCounter(os.Getpid()); f != "" && !strings.HasSuffix(f, "memory.oom_control") && !strings.HasSuffix(f, "memory.events") {
		t.Errorf("oomCounter(self) = %q", f)
	}
}

func TestExitCodeAndIDs(t *testing.T) {
	if c := exitCode(unix.WaitStatus(7 << 8)); c != 7 {
		t.Errorf("exit 7 -> %d", c)
	}
	if c := exitCode(unix.WaitStatus(9)); c != 137 {
		t.Errorf("SIGKILL -> %d", c)
	}
	for id, ok := range map[string]bool{"abc123": true, "web_1.x-y": true, "": false, "-x": false, "a/b": false, "../x": false} {
		if validID(id) != ok {
			t.Errorf("validID(%q) = %v", id, !ok)
		}
	}
}
