package shim

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/shim/wire"
	"golang.org/x/sys/unix"
)

// Timing of the monitor's life.
const (
	// startGrace is how long a new monitor waits for its first client.
	startGrace = 10 * time.Second
	// idleExit is how long a monitor with no container and no client lives.
	idleExit = 200 * time.Millisecond
	// drainWait bounds how long output is read after a process exited
	// (another process may hold its pipes open).
	drainWait = 2 * time.Second
)

// Main runs the monitor with the arguments after the subcommand
// (`--root DIR`) and returns the process exit code.
func Main(args []string) int {
	fs := flag.NewFlagSet(Command, flag.ContinueOnError)
	root := fs.String("root", "", "state directory (holds "+SocketName+")")
	debugLog := fs.Bool("debug", false, "log debug messages")
	holder := fs.Bool(usernsHolderFlag, false, "hold a user namespace for the monitor until stdin ends")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *holder {
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	}
	if *root == "" || !filepath.IsAbs(*root) {
		fmt.Fprintln(os.Stderr, "monitor: --root must be an absolute directory")
		return 2
	}
	level := slog.LevelInfo
	if *debugLog {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// Main is the process's root: there is no caller context to derive from.
	ctx := logging.WithLogger(context.Background(), logger)
	if err := run(ctx, *root); err != nil {
		if errors.Is(err, errRunning) {
			return 3
		}
		logger.Error("monitor failed", logging.Err(err))
		return 1
	}
	return 0
}

// errRunning reports that another monitor owns the root.
var errRunning = errors.New("another monitor owns this root")

// run sets the process up, serves until the monitor is idle, and cleans up.
func run(ctx context.Context, root string) error {
	tune()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set child subreaper: %w", err)
	}
	if err := os.MkdirAll(root, 0o711); err != nil {
		return err
	}
	unlock, err := lockRoot(root)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := newMonitor(ctx, root)
	if err != nil {
		return err
	}
	defer m.close()
	logging.From(ctx).Info("monitor started", "root", root, "pid", os.Getpid())
	go m.reaper.run()
	go m.signals(ctx)
	go m.serve(ctx)
	<-m.quit
	logging.From(ctx).Info("monitor exiting")
	return nil
}

// tune keeps the monitor's heap small: it is one long-lived process whose
// resident memory is the budget, and its garbage is small and frequent. (No
// memory limit: with many containers the live heap may pass any fixed limit,
// and the GC would then run all the time.)
func tune() {
	debug.SetGCPercent(50)
	if runtime.GOMAXPROCS(0) > 2 {
		runtime.GOMAXPROCS(2)
	}
}

// lockRoot takes an exclusive flock on the root directory itself, so two
// monitors never serve one root (the loser exits with errRunning).
func lockRoot(root string) (func(), error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", root, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if err == unix.EWOULDBLOCK {
			return nil, errRunning
		}
		return nil, fmt.Errorf("lock %s: %w", root, err)
	}
	return func() { unix.Close(fd) }, nil
}

// monitor is the state of the running monitor.
type monitor struct {
	root   string
	reaper *reaper
	null   *os.File
	ln     *net.UnixListener

	mu         sync.Mutex
	containers map[string]*container
	conns      int
	subs       []*wire.Conn
	// execExits are exec exits no subscriber has received yet.
	execExits []wire.Exit
	idle      *time.Timer
	quit      chan struct{}
	quitting  bool
	seq       uint64
	// ns are the user namespaces of remapped rootfs mounts.
	ns usernsCache
}

func newMonitor(ctx context.Context, root string) (*monitor, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(root, SocketName)
	os.Remove(sock) // stale: we hold the root's lock
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		null.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	os.Chmod(sock, 0o600)
	ln.SetUnlinkOnClose(true)
	if err := os.WriteFile(filepath.Join(root, PidName), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		ln.Close()
		null.Close()
		return nil, err
	}
	m := &monitor{
		root: root, reaper: newReaper(), null: null, ln: ln,
		containers: map[string]*container{}, quit: make(chan struct{}),
	}
	m.idle = time.AfterFunc(startGrace, m.idleFired)
	return m, nil
}

func (m *monitor) close() {
	m.ns.mu.Lock()
	for _, f := range m.ns.fds {
		f.Close()
	}
	m.ns.mu.Unlock()
	m.ln.Close()
	os.Remove(filepath.Join(m.root, PidName))
	m.null.Close()
}

// signals handles SIGTERM and SIGINT: exit when no container is left.
func (m *monitor) signals(ctx context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT)
	signal.Ignore(unix.SIGHUP, unix.SIGPIPE)
	for sig := range ch {
		m.mu.Lock()
		n := len(m.containers)
		if n == 0 {
			m.quitLocked()
		}
		m.mu.Unlock()
		if n > 0 {
			logging.From(ctx).Warn("signal ignored: containers are running", "signal", sig.String(), "containers", n)
		}
	}
}

// checkIdle arms the idle timer when nothing needs the monitor any more.
func (m *monitor) checkIdle() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.containers) == 0 && m.conns == 0 {
		m.idle.Reset(idleExit)
	} else {
		m.idle.Stop()
	}
}

func (m *monitor) idleFired() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.containers) == 0 && m.conns == 0 {
		m.quitLocked()
	}
}

func (m *monitor) quitLocked() {
	if !m.quitting {
		m.quitting = true
		m.ln.Close()
		close(m.quit)
	}
}

// nextSeq returns a number unique in this monitor (for socket names).
func (m *monitor) nextSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	return m.seq
}
