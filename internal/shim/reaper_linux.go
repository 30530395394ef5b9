package shim

import (
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reaper is the monitor's only wait4 caller: as child subreaper it reaps
// every child (runtime commands it started, and container and exec processes
// reparented to it) and hands each status to whoever watches that pid.
// os/exec is not used in the monitor: its Wait would race with wait4(-1).
type reaper struct {
	mu       sync.Mutex
	watchers map[int]func(unix.WaitStatus)
	// unclaimed keeps statuses nobody watched yet (a process can exit before
	// its pid file is read); entries expire after unclaimedTTL.
	unclaimed map[int]unclaimed
}

type unclaimed struct {
	status unix.WaitStatus
	at     time.Time
}

const unclaimedTTL = time.Minute

func newReaper() *reaper {
	return &reaper{watchers: map[int]func(unix.WaitStatus){}, unclaimed: map[int]unclaimed{}}
}

// run reaps on every SIGCHLD, forever.
func (r *reaper) run() {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD)
	r.reapAll()
	for range sigs {
		r.reapAll()
	}
}

func (r *reaper) reapAll() {
	now := time.Now()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			break
		}
		r.mu.Lock()
		fn := r.watchers[pid]
		if fn != nil {
			delete(r.watchers, pid)
		} else {
			r.unclaimed[pid] = unclaimed{status: ws, at: now}
		}
		r.mu.Unlock()
		if fn != nil {
			fn(ws)
		}
	}
	r.mu.Lock()
	for pid, u := range r.unclaimed {
		if now.Sub(u.at) > unclaimedTTL {
			delete(r.unclaimed, pid)
		}
	}
	r.mu.Unlock()
}

// watch calls fn (from the reaper's goroutine, or at once in a new one)
// when pid, a process reparented to the monitor, has exited. A status
// reaped before watch is used unless pid is alive again (reused).
func (r *reaper) watch(pid int, fn func(unix.WaitStatus)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u, ok := r.unclaimed[pid]; ok {
		delete(r.unclaimed, pid)
		if unix.Kill(pid, 0) != nil { // gone: the status is this process's
			go fn(u.status)
			return
		}
	}
	r.watchers[pid] = fn
}

// spawn starts argv[0] with the given stdio and returns a channel that
// receives its wait status.
func (r *reaper) spawn(argv []string, env []string, stdio [3]*os.File) (int, <-chan unix.WaitStatus, error) {
	return r.spawnAttr(argv, env, stdio, nil)
}

// spawnAttr is spawn with process attributes (namespaces, ID mappings).
func (r *reaper) spawnAttr(argv []string, env []string, stdio [3]*os.File, sys *syscall.SysProcAttr) (int, <-chan unix.WaitStatus, error) {
	files := make([]uintptr, 3)
	for i, f := range stdio {
		files[i] = f.Fd()
	}
	ch := make(chan unix.WaitStatus, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: files,
		Sys:   sys,
	})
	runtime.KeepAlive(stdio)
	if err != nil {
		return 0, nil, err
	}
	delete(r.unclaimed, pid) // a stale entry of an older process with this pid
	r.watchers[pid] = func(ws unix.WaitStatus) { ch <- ws }
	return pid, ch, nil
}

// exitCode is a wait status as docker reports it: the exit code, or 128+n
// for a process killed by signal n.
func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
