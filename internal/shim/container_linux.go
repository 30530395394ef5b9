package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/shim/wire"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// container is one container the monitor runs. Its fields are guarded by
// monitor.mu, except io (which has its own lock).
type container struct {
	id        string
	dir       string
	rt        ociRuntime
	stdinOnce bool

	status   string // wire.Status*, or "" while being created
	busy     bool   // a create, start or delete is running
	deleting bool
	pid      int
	exit     *wire.Exit
	exited   chan struct{} // closed once exit is set
	oomFile  string
	oomBase  int
	io       *stdio
	execs    map[string]*execProc
	pending  map[string][]*attacher // attachers waiting for an exec to start
}

// releasePending ends the attachers parked for execs that can no longer
// start. Call with monitor.mu held.
func (c *container) releasePending(err error) {
	for _, list := range c.pending {
		for _, a := range list {
			a.bind(nil)
			a.conn.SetWriteDeadline(time.Now().Add(time.Second))
			a.conn.WriteJSON(wire.KindEnd, wire.End{Error: wire.ErrorOf(err)})
			a.conn.Close()
		}
	}
	c.pending = nil
}

// killWait bounds how long a forced delete waits for the killed init.
const killWait = 10 * time.Second

func (m *monitor) get(id string) (*container, error) {
	c := m.containers[id]
	if c == nil {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "container %s: not found", id)
	}
	return c, nil
}

// validID accepts the IDs berthd uses (hex) and docker-like names.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && (r == '_' || r == '.' || r == '-')
		if !ok {
			return false
		}
	}
	return true
}

func (m *monitor) create(ctx context.Context, req *wire.Create) (int, error) {
	if req == nil || !validID(req.ID) || !filepath.IsAbs(req.Dir) || req.Runtime == "" {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "create: an ID, an absolute bundle directory and a runtime are required")
	}
	if !filepath.IsAbs(req.Runtime) {
		path, err := exec.LookPath(req.Runtime)
		if err != nil {
			return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "runtime %s: %w", req.Runtime, err)
		}
		req.Runtime = path
	}
	c := &container{
		id: req.ID, dir: req.Dir, stdinOnce: req.StdinOnce, busy: true, exited: make(chan struct{}),
		rt: ociRuntime{binary: req.Runtime, root: req.RuntimeRoot, reaper: m.reaper, null: m.null},
	}
	m.mu.Lock()
	if m.containers[req.ID] != nil {
		m.mu.Unlock()
		return 0, errdefs.Errorf(errdefs.ErrAlreadyExists, "container %s: already exists", req.ID)
	}
	m.containers[req.ID] = c
	m.mu.Unlock()
	ctx = logging.With(ctx, logging.KeyContainerID, req.ID)
	pid, err := m.createBundle(ctx, c, req)
	m.mu.Lock()
	if err != nil {
		delete(m.containers, req.ID)
	} else {
		c.status, c.pid, c.busy = wire.StatusCreated, pid, false
	}
	m.mu.Unlock()
	if err != nil {
		m.checkIdle()
		return 0, err
	}
	logging.From(ctx).Debug("container created", "pid", pid)
	return pid, nil
}

// createBundle mounts the rootfs, writes config.json, sets stdio up and
// runs the runtime's create. On failure it undoes everything.
func (m *monitor) createBundle(ctx context.Context, c *container, req *wire.Create) (pid int, err error) {
	rootfs := filepath.Join(req.Dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o711); err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "create bundle: %w", err)
	}
	defer func() {
		if err != nil {
			if cerr := removeBundle(req.Dir); cerr != nil {
				logging.From(ctx).Warn("remove bundle", logging.Err(cerr))
			}
		}
	}()
	mountAll := mount.All
	if req.IDMap != nil {
		mountAll = func(ms []mount.Mount, target string) error { return m.mountRemapped(ms, target, req.IDMap) }
	}
	if err := mountAll(req.Rootfs, rootfs); err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "mount rootfs: %w", err)
	}
	if err := os.WriteFile(filepath.Join(req.Dir, "config.json"), req.Spec, 0o600); err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "write config.json: %w", err)
	}
	var logw *logfile.Writer
	if req.LogPath != "" {
		if logw, err = logfile.Open(req.LogPath, req.LogMaxSize, req.LogMaxFiles); err != nil {
			return 0, errdefs.Errorf(errdefs.ErrInternal, "%w", err)
		}
	}
	pidFile := filepath.Join(req.Dir, "init.pid")
	args := []string{"create", "--bundle", req.Dir, "--pid-file", pidFile}
	s, err := m.runWithStdio(ctx, c.rt, args, req.ID, req.Terminal, req.Stdin)
	if err != nil {
		if logw != nil {
			logw.Close()
		}
		return 0, err
	}
	s.log, s.stdinOnce = logw, req.StdinOnce
	if pid, err = readPid(pidFile); err != nil {
		s.finish(err)
		c.rt.run([]string{"delete", "--force", req.ID}, processFiles{})
		return 0, err
	}
	c.oomFile = oomCounter(pid)
	c.oomBase = readOOMKills(c.oomFile)
	m.mu.Lock()
	c.io = s
	m.mu.Unlock()
	s.start(ctx)
	m.reaper.watch(pid, func(ws unix.WaitStatus) { m.initExited(ctx, c, ws) })
	return pid, nil
}

// runWithStdio runs a runtime command that starts a process (create, exec)
// with new stdio: pipes, or a console socket for a terminal. The command's
// last argument must be the container ID; the console option is inserted.
func (m *monitor) runWithStdio(ctx context.Context, rt ociRuntime, args []string, id string, terminal, stdin bool) (*stdio, error) {
	if terminal {
		sock, err := newConsoleSocket(filepath.Join(m.root, "c"+strconv.FormatUint(m.nextSeq(), 10)+".sock"))
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInternal, "%w", err)
		}
		defer sock.close()
		if _, err := rt.run(append(args, "--console-socket", sock.path, id), processFiles{}); err != nil {
			return nil, err
		}
		master, err := sock.master()
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInternal, "%w", err)
		}
		return newTerminal(master, stdin), nil
	}
	s, pf, err := newPipes(stdin)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "%w", err)
	}
	_, err = rt.run(append(args, id), pf)
	pf.close()
	if err != nil {
		// The runtime wrote its message on the process's stderr pipe.
		msg := runtimeMessage(drainAvailable(s.errf, captureWait))
		s.closeFiles()
		if msg != "" {
			verb := args[0]
			return nil, errdefs.Errorf(errdefs.ErrInternal, "OCI runtime %s failed: %s", verb, msg)
		}
		return nil, err
	}
	if b := drainAvailable(s.errf, 0); len(b) > 0 {
		logging.From(ctx).Warn("runtime output", "output", strings.TrimSpace(string(b)))
	}
	return s, nil
}

func readPid(file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "read pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "pid file %s: bad pid %q", file, b)
	}
	return pid, nil
}

// initExited records a container's exit: the OOM counter is read now, while
// the cgroup exists; the exit is published once the output is drained and
// every attacher got its End.
func (m *monitor) initExited(ctx context.Context, c *container, ws unix.WaitStatus) {
	oom := readOOMKills(c.oomFile) > c.oomBase
	at := time.Now().UTC()
	go func() {
		c.io.waitDrained(drainWait)
		c.io.finish(nil)
		e := wire.Exit{ID: c.id, Pid: c.pid, Code: exitCode(ws), OOMKilled: oom, At: at}
		m.mu.Lock()
		// A never-started container killed by its removal did not "exit"
		// for the engine (docker reports no die event for it).
		removed := c.deleting && c.status == wire.StatusCreated
		c.status, c.exit = wire.StatusStopped, &e
		close(c.exited)
		c.releasePending(errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.id))
		subs := m.subs
		m.mu.Unlock()
		logging.From(ctx).Debug("container exited", "code", e.Code, "oom_killed", oom)
		if !removed {
			m.send(subs, e)
		}
	}()
}

func (m *monitor) start(ctx context.Context, id string) error {
	m.mu.Lock()
	c, err := m.get(id)
	if err == nil && (c.busy || c.status != wire.StatusCreated) {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is %s: cannot start", id, statusText(c))
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	c.busy = true
	m.mu.Unlock()
	_, err = c.rt.run([]string{"start", id}, processFiles{})
	m.mu.Lock()
	c.busy = false
	if err == nil && c.status == wire.StatusCreated {
		c.status = wire.StatusRunning
	}
	m.mu.Unlock()
	if err == nil {
		logging.From(ctx).Debug("container started", logging.KeyContainerID, id)
	}
	return err
}

func statusText(c *container) string {
	switch {
	case c.deleting:
		return "being removed"
	case c.status == "":
		return "being created"
	case c.busy:
		return "busy"
	}
	return c.status
}

func (m *monitor) kill(id string, sig int, all bool) error {
	m.mu.Lock()
	c, err := m.get(id)
	if err == nil && c.status != wire.StatusCreated && c.status != wire.StatusRunning {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if sig <= 0 {
		sig = int(unix.SIGKILL)
	}
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	if _, err := c.rt.run(append(args, id, strconv.Itoa(sig)), processFiles{}); err != nil {
		if unix.Kill(c.pid, 0) != nil { // it exited meanwhile
			return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
		}
		return err
	}
	return nil
}

func (m *monitor) delete(ctx context.Context, id string, force bool) error {
	m.mu.Lock()
	c, err := m.get(id)
	if err == nil && (c.busy || c.deleting || c.status == "") {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is %s", id, statusText(c))
	}
	if err == nil && c.status == wire.StatusRunning && !force {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is running: stop it before removing it, or force the removal", id)
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	c.busy, c.deleting = true, true
	status := c.status
	m.mu.Unlock()
	if err := m.destroy(ctx, c, status); err != nil {
		m.mu.Lock()
		c.busy, c.deleting = false, false
		m.mu.Unlock()
		return err
	}
	m.mu.Lock()
	delete(m.containers, id)
	c.releasePending(errdefs.Errorf(errdefs.ErrNotFound, "container %s: not found", id))
	m.mu.Unlock()
	m.checkIdle()
	logging.From(ctx).Debug("container deleted", logging.KeyContainerID, id)
	return nil
}

// destroy kills what still runs, deletes the container from the runtime,
// unmounts the rootfs and removes the bundle.
func (m *monitor) destroy(ctx context.Context, c *container, status string) error {
	if status == wire.StatusRunning {
		c.rt.run([]string{"kill", "--all", c.id, strconv.Itoa(int(unix.SIGKILL))}, processFiles{})
		if !waitClosed(c.exited, killWait) {
			return errdefs.Errorf(errdefs.ErrInternal, "container %s: still running after SIGKILL", c.id)
		}
	}
	args := []string{"delete", c.id}
	if status != wire.StatusStopped {
		args = []string{"delete", "--force", c.id}
	}
	if _, err := c.rt.run(args, processFiles{}); err != nil {
		if status != wire.StatusStopped && unix.Kill(c.pid, 0) == nil {
			return err
		}
		// Already gone from the runtime: nothing left to delete there.
		logging.From(ctx).Warn("runtime delete", logging.KeyContainerID, c.id, logging.Err(err))
	}
	if !waitClosed(c.exited, killWait) { // a created init is killed by delete
		return errdefs.Errorf(errdefs.ErrInternal, "container %s: init did not exit", c.id)
	}
	if err := removeBundle(c.dir); err != nil {
		return errdefs.Errorf(errdefs.ErrInternal, "%w", err)
	}
	return nil
}

func waitClosed(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// removeBundle unmounts the rootfs and removes dir, refusing to remove
// anything while a mount remains below it.
func removeBundle(dir string) error {
	if err := mount.UnmountAll(filepath.Join(dir, "rootfs"), unix.MNT_DETACH); err != nil {
		return err
	}
	mounts, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return fmt.Errorf("read mounts: %w", err)
	}
	if len(mounts) > 0 {
		return fmt.Errorf("bundle %s: %s is still mounted", dir, mounts[0].Mountpoint)
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove bundle: %w", err)
	}
	return nil
}

func (m *monitor) state(id string) (wire.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.get(id)
	if err != nil {
		return wire.State{}, err
	}
	return c.stateLocked(), nil
}

func (c *container) stateLocked() wire.State {
	st := wire.State{ID: c.id, Pid: c.pid, Status: c.status, Exit: c.exit}
	if st.Status == "" {
		st.Status = wire.StatusCreated
	}
	return st
}

func (m *monitor) list() []wire.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]wire.State, 0, len(m.containers))
	for _, c := range m.containers {
		if c.status != "" {
			out = append(out, c.stateLocked())
		}
	}
	return out
}

func (m *monitor) pids(id string) ([]int, error) {
	m.mu.Lock()
	c, err := m.get(id)
	stopped := err == nil && c.status == wire.StatusStopped
	m.mu.Unlock()
	if err != nil || stopped {
		return []int{}, err
	}
	out, err := c.rt.run([]string{"ps", "--format", "json", id}, processFiles{})
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "runtime ps: %w", err)
	}
	return pids, nil
}

// procIO returns the stdio of a container's init or of one of its execs.
func (m *monitor) procIO(id, execID string) (*stdio, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.get(id)
	if err != nil {
		return nil, err
	}
	if execID == "" {
		if c.io == nil {
			return nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is being created", id)
		}
		return c.io, nil
	}
	e := c.execs[execID]
	if e == nil {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "exec %s: not found", execID)
	}
	return e.io, nil
}

func (m *monitor) resize(id, execID string, w, h uint16) error {
	s, err := m.procIO(id, execID)
	if err != nil {
		return err
	}
	if err := s.resize(w, h); err != nil {
		return errdefs.Errorf(errdefs.ErrInternal, "resize: %w", err)
	}
	return nil
}

func (m *monitor) closeStdin(id, execID string) error {
	s, err := m.procIO(id, execID)
	if err != nil {
		return err
	}
	s.closeStdin()
	return nil
}
