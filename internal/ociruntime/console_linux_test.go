package ociruntime_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// recvMaster accepts one connection on the console socket and receives the
// pty master sent with SCM_RIGHTS.
func recvMaster(t *testing.T, l *net.UnixListener) *os.File {
	t.Helper()
	l.SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := l.AcceptUnix()
	if err != nil {
		t.Fatalf("accept console socket: %v", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatalf("recvmsg: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %v %v", msgs, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("want one fd, got %v %v", fds, err)
	}
	return os.NewFile(uintptr(fds[0]), "pty-master")
}

func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	var got bytes.Buffer
	buf := make([]byte, 4096)
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !strings.Contains(got.String(), want) {
		n, err := f.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("read pty: %v; got %q, want %q", err, got.String(), want)
		}
	}
	return got.String()
}

func TestTerminal(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh"}, func(c *container.Config, h *container.HostConfig) {
		c.Tty, h.ConsoleSize = true, [2]uint{30, 100}
	}, nil)
	sock := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		out string
		rc  int
	}
	created := make(chan res, 1)
	go func() {
		out, stderr, code := e.run("create", "-b", e.bundle, "--console-socket", sock, e.id)
		created <- res{out + stderr, code}
	}()
	master := recvMaster(t, l)
	defer master.Close()
	if r := <-created; r.rc != 0 {
		t.Fatalf("create: %s", r.out)
	}
	e.must("start", e.id)
	master.WriteString("stty size; tty; echo $TERM; exit 0\n")
	out := readUntil(t, master, "xterm")
	for _, want := range []string{"30 100", "/dev/pts/0"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output %q lacks %q", out, want)
		}
	}
	e.waitStatus("stopped")

	// exec -t into a running container gets its own pty from the container's devpts
	e.must("delete", e.id)
	e.spec([]string{"sleep", "100"}, nil, nil)
	e.must("run", "-d", "-b", e.bundle, e.id)
	go func() {
		out, stderr, code := e.run("exec", "-t", "--console-socket", sock, e.id, "sh", "-c", "tty; echo done")
		created <- res{out + stderr, code}
	}()
	m2 := recvMaster(t, l)
	defer m2.Close()
	if out := readUntil(t, m2, "done"); !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec tty output %q", out)
	}
	if r := <-created; r.rc != 0 {
		t.Errorf("exec -t: exit %d: %s", r.rc, r.out)
	}
}
