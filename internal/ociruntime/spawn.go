package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/ociruntime/nsenter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// initFdEnv names the fd of init's end of the sync socket.
const initFdEnv = "_BERTH_INIT_FD"

// spawnOpts describes one init to start (see sync.go).
type spawnOpts struct {
	// cfg is init's configuration; lateConfig, if set, builds it once init
	// is forked (create decodes the full config.json while init starts).
	cfg           *initConfig
	lateConfig    func() (*initConfig, error)
	plan          nsPlan
	uidMaps       []specs.LinuxIDMapping
	gidMaps       []specs.LinuxIDMapping
	preserveFDs   int
	consoleSocket string
	// cgroup puts the new process into its cgroup, or returns the v1 paths
	// that init joins itself (see cgroups.JoinCurrentThread).
	cgroup func(pid int) (map[string]string, error)
	// prepared, if set, runs once init has its cgroup, while it works.
	prepared func(pid int) error
}

// child is a started init: pid is its host pid; cmd is our direct child,
// which is init itself unless the constructor forked (then init is still our
// child, through CLONE_PARENT, but cmd was the intermediate).
type child struct {
	pid    int
	direct bool
	cmd    *exec.Cmd
}

// wait waits for the process to exit and returns its wait status.
func (c *child) wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return ws, err
	}
}

// kill kills and reaps the child after a failed start.
func (c *child) kill() {
	unix.Kill(c.pid, unix.SIGKILL)
	c.wait()
}

// spawn starts init, runs the handshake up to "ready" (create) or the
// successful execve (exec) and returns the child. On error, the child is
// killed and reaped.
func spawn(ctx context.Context, o spawnOpts) (*child, error) {
	parentEnd, childEnd, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer parentEnd.Close()
	cmd, fds, closeAfterStart, err := initCommand(o, childEnd)
	if err != nil {
		childEnd.Close()
		return nil, err
	}
	logging.From(ctx).Debug("forking init")
	err = cmd.Start()
	for _, f := range closeAfterStart {
		f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("start init: %w", err)
	}
	ch := &child{pid: cmd.Process.Pid, direct: true, cmd: cmd}
	sc := newSyncConn(parentEnd)
	if o.lateConfig != nil {
		if o.cfg, err = o.lateConfig(); err != nil {
			ch.kill() // init (or the nsenter intermediate); a forked init sees EOF
			return nil, err
		}
	}
	o.cfg.ConsoleFd = fds.console
	if err := handshake(ctx, o, ch, sc); err != nil {
		ch.kill()
		return nil, err
	}
	return ch, nil
}

func handshake(ctx context.Context, o spawnOpts, ch *child, sc *syncConn) error {
	if o.plan.joinsPid() {
		m, err := sc.recv()
		if err == nil && (m.Type != msgPid || m.Pid <= 0) {
			err = fmt.Errorf("sync socket: want pid message, got %q", m.Type)
		}
		ch.cmd.Wait() // the intermediate process exits right after reporting
		if err != nil {
			return initError("join namespaces", err, nil)
		}
		ch.pid, ch.direct = m.Pid, false
	}
	logging.From(ctx).Debug("init started", "pid", ch.pid)
	// init prepares the rootfs while we move it into its cgroup (the first
	// cgroup migration can wait for an RCU grace period); it waits for the
	// "cgroup" message before anything that needs its cgroup, and before exec
	if err := sc.send(syncMsg{Type: msgConfig, Config: o.cfg}); err != nil {
		return err
	}
	var paths map[string]string
	if o.cgroup != nil {
		var err error
		if paths, err = o.cgroup(ch.pid); err != nil {
			return err
		}
	}
	if err := sc.send(syncMsg{Type: msgCgroup, Paths: paths}); err != nil {
		if m, rerr := sc.recv(); rerr != nil || m.Type == msgError {
			return initError("init", rerr, ch) // init failed first: report why
		}
		return err
	}
	if o.prepared != nil {
		if err := o.prepared(ch.pid); err != nil {
			return err
		}
	}
	m, err := sc.recv()
	logging.From(ctx).Debug("init answered", "type", m.Type)
	switch {
	case o.cfg.Exec && errors.Is(err, io.EOF):
		return nil // execve closed the O_CLOEXEC socket
	case err != nil:
		return initError("init", err, ch)
	case m.Type != msgReady:
		return fmt.Errorf("sync socket: want ready message, got %q", m.Type)
	}
	return nil
}

// initError explains how init failed: its own message, or how it died.
func initError(stage string, err error, ch *child) error {
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", stage, err)
	}
	if ch != nil {
		if ws, werr := ch.wait(); werr == nil {
			return fmt.Errorf("%s: exited before it was ready (%s)", stage, describeWait(ws))
		}
	}
	return fmt.Errorf("%s: exited before it was ready", stage)
}

func describeWait(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// initFds are the numbers of init's extra fds (-1: none).
type initFds struct{ console int }

// initCommand builds the re-exec of /proc/self/exe init. Extra fds, in order:
// the caller's preserved fds (3..3+N-1, kept for the container), the sync
// socket, the console socket.
func initCommand(o spawnOpts, syncEnd *os.File) (*exec.Cmd, initFds, []*os.File, error) {
	cmd := exec.Command("/proc/self/exe", "init")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for i := 0; i < o.preserveFDs; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	closeAfter := []*os.File{syncEnd}
	syncFd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, syncEnd)
	// init is short-lived and single-threaded in spirit: no GC, one P
	cmd.Env = []string{initFdEnv + "=" + strconv.Itoa(syncFd), "GOGC=off", "GOMAXPROCS=1"}
	fds := initFds{console: -1}
	if o.consoleSocket != "" {
		f, err := dialConsole(o.consoleSocket)
		if err != nil {
			return nil, fds, closeAfter, err
		}
		closeAfter = append(closeAfter, f)
		fds.console = 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	if len(o.plan.joins) > 0 {
		cmd.Env = append(cmd.Env, nsenter.Env+"="+o.plan.nsenterEnv(), nsenter.FdEnv+"="+strconv.Itoa(syncFd))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: o.plan.flags}
	if o.plan.has(unix.CLONE_NEWUSER) {
		cmd.SysProcAttr.UidMappings = idMaps(o.uidMaps)
		cmd.SysProcAttr.GidMappings = idMaps(o.gidMaps)
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		// become the namespace's root before execve, or the exec drops every
		// capability (host root is not mapped inside)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	return cmd, fds, closeAfter, nil
}

func socketPair() (*os.File, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("sync socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sync-parent"), os.NewFile(uintptr(fds[1]), "sync-init"), nil
}

// dialConsole connects to the caller's --console-socket; init sends the pty
// master over it.
func dialConsole(path string) (*os.File, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, err)
	}
	defer conn.Close()
	f, err := conn.(*net.UnixConn).File()
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, err)
	}
	return f, nil
}
