package seccomp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// loadProfile allows everything but getppid (EPERM), getpgid (errnoRet
// ENOSYS) and personality(0x1234) (MASKED_EQ on the low 16 bits, EACCES).
func loadProfile() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"getppid"}, Action: specs.ActErrno},
		{Names: []string{"getpgid"}, Action: specs.ActErrno, ErrnoRet: u(uint(unix.ENOSYS))},
		{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: u(uint(unix.EACCES)),
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffff, ValueTwo: 0x1234, Op: specs.OpMaskedEqual}}},
	}}
}

// TestLoadInKernel loads each compiler's program for real, in a child
// process (a filter cannot be removed), and checks what the syscalls return.
func TestLoadInKernel(t *testing.T) {
	for _, which := range []string{"pure-go", "libseccomp"} {
		t.Run(which, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), "BERTH_SECCOMP_HELPER="+which)
			out, err := cmd.CombinedOutput()
			if strings.Contains(string(out), "SKIP:") {
				t.Skip(string(out))
			}
			if err != nil || !strings.Contains(string(out), "getppid=operation not permitted getpgid=function not implemented personality=permission denied other=ok") {
				t.Fatalf("helper: %v\n%s", err, out)
			}
		})
	}
}

func TestLoadHelper(t *testing.T) {
	which := os.Getenv("BERTH_SECCOMP_HELPER")
	if which == "" {
		t.Skip("run by TestLoadInKernel")
	}
	f, err := newFilter(loadProfile())
	if err != nil {
		t.Fatal(err)
	}
	var ins []unix.SockFilter
	if which == "pure-go" {
		ins, err = compileBPF(f)
	} else {
		ins, err = compileLibseccomp(f)
	}
	if errors.Is(err, errdefs.ErrNotImplemented) {
		fmt.Println("SKIP:", err)
		os.Exit(0)
	}
	if err != nil {
		t.Fatal(err)
	}
	p := &Program{Filter: ins}
	res := make(chan string)
	go func() {
		runtime.LockOSThread() // the filter stays on this thread, which then dies
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			res <- err.Error()
			return
		}
		if err := p.Load(); err != nil {
			res <- err.Error()
			return
		}
		errStr := func(e unix.Errno) string {
			if e == 0 {
				return "ok"
			}
			return e.Error()
		}
		_, _, e1 := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		_, _, e2 := unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0)
		_, _, e3 := unix.RawSyscall(unix.SYS_PERSONALITY, 0x51234, 0, 0)
		_, _, e4 := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
		res <- fmt.Sprintf("getppid=%s getpgid=%s personality=%s other=%s", errStr(e1), errStr(e2), errStr(e3), errStr(e4))
	}()
	fmt.Println(<-res)
}
