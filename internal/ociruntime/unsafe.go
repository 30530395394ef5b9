package ociruntime

import "strings"

// unsafeDisable switches escape defences off, for the tests that show each
// defence is what stops its escape. It is empty in every normal build and can
// only be set at link time:
//
//	go build -ldflags "-X github.com/berthproject/berth/internal/ociruntime.unsafeDisable=exe,dumpable" ./cmd/berth-runtime
//
// Names: exe (init runs from the binary's own path, not the read-only bind,
// CVE-2019-5736), dumpable (init stays ptrace-able by the container),
// cwdcheck (process.cwd is not checked to be inside the root after chdir,
// CVE-2024-21626), fdclose (fds other than stdio and --preserve-fds are not
// closed at execve), securejoin (mount targets resolved to a string first,
// CVE-2021-30465).
var unsafeDisable string

func unsafeOff(name string) bool {
	if unsafeDisable == "" {
		return false
	}
	for _, n := range strings.Split(unsafeDisable, ",") {
		if n == name {
			return true
		}
	}
	return false
}
