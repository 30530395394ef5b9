package ociruntime

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The init process must do its namespace, credential and capability work on
// one OS thread and execve from that same thread (capset and the raw
// setresuid below are per thread; the exec'd image inherits the calling
// thread's state).
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.GOMAXPROCS(1)
		runtime.LockOSThread()
	}
}

// initMain is `berth-runtime init`: the child side of sync.go.
func initMain() int {
	fd, err := strconv.Atoi(os.Getenv(initFdEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-runtime init: internal command, started only by berth-runtime itself")
		return 1
	}
	unix.CloseOnExec(fd)
	sock := os.NewFile(uintptr(fd), "sync")
	sc := newSyncConn(sock)
	m, err := sc.recv()
	if err != nil || m.Config == nil {
		return 1
	}
	cfg := m.Config
	cfg.inCgroup = cgroupWaiter(sc)
	// our fd table in the host's procfs, opened before the root changes: the
	// fifo is reopened through it (the container may have no /proc)
	fdDir, err := unix.Open("/proc/self/fd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err == nil && cfg.FifoPath != "" {
		cfg.FifoFd, err = unix.Open(cfg.FifoPath, unix.O_PATH|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		sc.send(syncMsg{Type: msgError, Error: fmt.Sprintf("open exec fifo: %v", err)})
		return 1
	}
	p, err := setupInit(cfg)
	if err != nil {
		sc.send(syncMsg{Type: msgError, Error: err.Error()})
		return 1
	}
	if err := cfg.inCgroup(); err != nil {
		sc.send(syncMsg{Type: msgError, Error: err.Error()})
		return 1
	}
	if cfg.Exec {
		err := syscall.Exec(p.path, p.args, p.env)
		sc.send(syncMsg{Type: msgError, Error: fmt.Sprintf("exec %s: %v", p.args[0], err)})
		return 127
	}
	if err := sc.send(syncMsg{Type: msgReady}); err != nil {
		return 1
	}
	sock.Close()
	return waitStartAndExec(cfg, fdDir, p)
}

// cgroupWaiter returns inCgroup for initConfig: the first call reads the
// parent's "cgroup" message.
func cgroupWaiter(sc *syncConn) func() error {
	var done bool
	var err error
	return func() error {
		if !done {
			done = true
			var m syncMsg
			if m, err = sc.recv(); err == nil && m.Type != msgCgroup {
				err = fmt.Errorf("sync socket: want cgroup message, got %q", m.Type)
			}
			if err == nil && m.Paths != nil {
				err = cgroups.JoinCurrentThread(m.Paths)
			}
		}
		return err
	}
}

// waitStartAndExec blocks on the exec fifo until `start`, then execs.
func waitStartAndExec(cfg *initConfig, fdDir int, p *execTarget) int {
	fd, err := unix.Openat(fdDir, strconv.Itoa(cfg.FifoFd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	unix.Close(fdDir)
	fifo := os.NewFile(uintptr(fd), "exec.fifo")
	if err != nil {
		// nobody is listening any more: the container's stderr is all there is
		fmt.Fprintf(os.Stderr, "berth-runtime init: open exec fifo: %v\n", err)
		return 1
	}
	unix.Close(cfg.FifoFd)
	if _, err := fifo.Write([]byte("0")); err != nil {
		return 1
	}
	if p == nil {
		fmt.Fprint(fifo, "config.json has no process to start")
		return 127
	}
	err = syscall.Exec(p.path, p.args, p.env)
	fmt.Fprintf(fifo, "exec %s: %v", p.args[0], err)
	return 127
}

// setupInit does everything between the config and the execve: the
// container's environment for create, only the process for exec.
func setupInit(cfg *initConfig) (*execTarget, error) {
	unix.Umask(0)
	if cfg.NewCgroupNS {
		if err := cfg.inCgroup(); err != nil {
			return nil, err
		}
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return nil, fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	if cfg.NewNetNS {
		if err := loopbackUp(); err != nil {
			return nil, err
		}
	}
	if cfg.Process == nil { // allowed by the spec until start, which then fails
		return nil, setupContainer(cfg)
	}
	if err := oomScoreAdj(cfg.Process); err != nil {
		return nil, err
	}
	// read while the host's /proc is still there (a container may have none)
	caps, err := newCapSet(cfg.Process.Capabilities)
	if err != nil {
		return nil, err
	}
	if !cfg.Exec {
		if err := setupContainer(cfg); err != nil {
			return nil, err
		}
	} else if err := setupConsole(cfg); err != nil {
		return nil, err
	}
	return setupProcess(cfg, caps)
}

// setupContainer builds the container's root and system settings.
func setupContainer(cfg *initConfig) error {
	spec := cfg.Spec
	ownMounts := hasNamespace(spec, specs.MountNamespace)
	if !ownMounts {
		// the host's mount namespace: mounting there would leak into the
		// host, so the container only gets its root (chroot) and no mounts
		if err := chrootOnly(cfg); err != nil {
			return err
		}
	} else if err := prepareRootfs(cfg); err != nil {
		return err
	}
	if err := setupConsole(cfg); err != nil {
		return err
	}
	if err := setHostname(cfg); err != nil {
		return err
	}
	if err := writeSysctls(spec.Linux.Sysctl); err != nil {
		return err
	}
	if ownMounts {
		return finishRootfs(spec)
	}
	return nil
}

// finishRootfs applies the read-only and masked paths and the read-only
// root, once sysctls (under /proc/sys) are written.
func finishRootfs(spec *specs.Spec) error {
	for _, p := range spec.Linux.ReadonlyPaths {
		if err := readonlyPath(p); err != nil {
			return err
		}
	}
	for _, p := range spec.Linux.MaskedPaths {
		if err := maskPath(p); err != nil {
			return err
		}
	}
	if spec.Root.Readonly {
		if err := remountReadonly("/"); err != nil {
			return fmt.Errorf("read-only root: %w", err)
		}
	}
	return nil
}

func setHostname(cfg *initConfig) error {
	spec := cfg.Spec
	if (spec.Hostname != "" || spec.Domainname != "") && !hasNamespace(spec, specs.UTSNamespace) {
		return fmt.Errorf("spec: hostname needs a uts namespace")
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", spec.Hostname, err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", spec.Domainname, err)
		}
	}
	return nil
}

func hasNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}
