package ociruntime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execTarget is the resolved program init will execve, and what is left
// to do right before.
type execTarget struct {
	path string
	args []string
	env  []string
	// caps still holds CAP_SYS_ADMIN for loading seccomp (see setupProcess)
	caps     *capSet
	heldCaps bool
}

// setupProcess applies spec.process to this thread: rlimits, no_new_privs,
// cwd, user and groups, capabilities and umask; then resolves args[0].
// Without no_new_privs, loading a seccomp filter needs CAP_SYS_ADMIN, so
// when a filter is to be loaded the thread keeps it (effective and
// permitted) until exec drops it, right after the filter is in.
func setupProcess(cfg *initConfig, caps *capSet) (*execTarget, error) {
	p := cfg.Process
	if err := setRlimits(p.Rlimits); err != nil {
		return nil, err
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	env := withHome(p.Env, p.User.UID)
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := chdir(cwd, !cfg.Exec); err != nil {
		return nil, err
	}
	hold := cfg.Seccomp != nil && !p.NoNewPrivileges
	held, err := setCredentials(p, caps, hold)
	if err != nil {
		return nil, err
	}
	umask := 0o022
	if p.User.Umask != nil {
		umask = int(*p.User.Umask)
	}
	unix.Umask(umask)
	path, err := lookPath(p.Args[0], env)
	if err != nil {
		return nil, err
	}
	return &execTarget{path: path, args: p.Args, env: env, caps: caps, heldCaps: held}, nil
}

// exec ends init: every fd but stdio and the preserved ones is marked
// close-on-exec (no host fd reaches the container, CVE-2024-21626), the
// seccomp filter goes in, the CAP_SYS_ADMIN kept for it goes, and the
// program is exec'd. Only capset and execve run under the filter.
func (t *execTarget) exec(cfg *initConfig) error {
	if !unsafeOff("fdclose") {
		if err := unix.CloseRange(uint(3+cfg.PreserveFDs), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
			return fmt.Errorf("mark fds close-on-exec: %w", err)
		}
	}
	if cfg.Seccomp != nil {
		if err := cfg.Seccomp.Load(); err != nil {
			return err
		}
	}
	if t.heldCaps {
		if err := t.caps.dropHeld(); err != nil {
			return err // never exec with the extra capability
		}
	}
	err := syscall.Exec(t.path, t.args, t.env)
	return fmt.Errorf("exec %s: %w", t.args[0], err)
}

// chdir enters cwd. For a container's init a missing cwd is created first
// (0755, owned by root: the process has not changed user yet), as runc
// does and `docker run -w /new/dir` expects; an exec's must exist. The
// result must be inside the container's root: a cwd such as
// /proc/self/fd/N could otherwise follow an fd of ours out to the host
// (CVE-2024-21626); getcwd(2) reports such a directory as unreachable.
func chdir(cwd string, create bool) error {
	err := unix.Chdir(cwd)
	if errors.Is(err, unix.ENOENT) && create {
		if err = os.MkdirAll(cwd, 0o755); err == nil {
			err = unix.Chdir(cwd)
		}
	}
	if err != nil {
		return fmt.Errorf("chdir to cwd %q set in config.json: %w", cwd, err)
	}
	if unsafeOff("cwdcheck") {
		return nil
	}
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("cwd %q set in config.json is outside the container's root: %w", cwd, errdefs.ErrInvalidArgument)
	}
	return nil
}

// rlimitNames maps the spec's RLIMIT_* names to resources.
var rlimitNames = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

// setRlimits applies the limits as given. syscall.Setrlimit (not prlimit) is
// used on purpose: it also stops the Go runtime from restoring its saved
// RLIMIT_NOFILE at execve.
func setRlimits(limits []specs.POSIXRlimit) error {
	for _, l := range limits {
		res, ok := rlimitNames[l.Type]
		if !ok {
			return fmt.Errorf("rlimit %q: %w: unknown resource", l.Type, errdefs.ErrInvalidArgument)
		}
		var cur syscall.Rlimit
		syscall.Getrlimit(res, &cur)
		err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: l.Soft, Max: l.Hard})
		if errors.Is(err, syscall.EPERM) {
			return fmt.Errorf("set %s to %d:%d: %w (the host hard limit is %d; raising it needs CAP_SYS_RESOURCE)", l.Type, l.Soft, l.Hard, err, cur.Max)
		}
		if err != nil {
			return fmt.Errorf("set %s to %d:%d: %w", l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}

func oomScoreAdj(p *specs.Process) error {
	if p.OOMScoreAdj == nil {
		return nil
	}
	v := strconv.Itoa(*p.OOMScoreAdj)
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte(v), 0); err != nil {
		return fmt.Errorf("set oom_score_adj to %s: %w", v, err)
	}
	return nil
}

// setCredentials drops the bounding set (needs CAP_SETPCAP, so first), then
// switches groups and ids keeping the permitted set, then sets the other
// capability sets, with CAP_SYS_ADMIN kept if hold (it reports whether it
// had to). Raw syscalls: they act on this thread, the one that execs.
func setCredentials(p *specs.Process, caps *capSet, hold bool) (bool, error) {
	if err := caps.applyBounding(); err != nil {
		return false, err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return false, fmt.Errorf("set keepcaps: %w", err)
	}
	if err := switchUser(p.User); err != nil {
		return false, err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return false, fmt.Errorf("clear keepcaps: %w", err)
	}
	return caps.applyRest(hold)
}

func switchUser(u specs.User) error {
	gids := make([]int, 0, len(u.AdditionalGids))
	for _, g := range u.AdditionalGids {
		gids = append(gids, int(g))
	}
	if err := rawSetgroups(gids); err != nil {
		if !errors.Is(err, unix.EPERM) || len(gids) > 0 {
			return fmt.Errorf("setgroups %v: %w", gids, err)
		}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return fmt.Errorf("set gid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return fmt.Errorf("set uid %d: %w", u.UID, e)
	}
	return nil
}

func rawSetgroups(gids []int) error {
	g := make([]uint32, len(gids))
	for i, v := range gids {
		g[i] = uint32(v)
	}
	var ptr uintptr
	if len(g) > 0 {
		ptr = uintptr(unsafe.Pointer(&g[0]))
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(g)), ptr, 0); e != 0 {
		return e
	}
	return nil
}

// withHome adds HOME from the container's /etc/passwd (or "/") when the
// environment has none, as runc does.
func withHome(env []string, uid uint32) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			return env
		}
	}
	home := "/"
	if users, err := user.ParsePasswdFileFilter("/etc/passwd", func(u user.User) bool { return u.Uid == int(uid) }); err == nil && len(users) > 0 && users[0].Home != "" {
		home = users[0].Home
	}
	return append(append([]string{}, env...), "HOME="+home)
}

// lookPath resolves name in the container's PATH (from env), the way execvp
// does, with errors that say what is missing.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("is a directory")
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return fmt.Errorf("permission denied")
	}
	return nil
}
