//go:build !cgo || berth_purego_seccomp

package seccomp

import (
	"fmt"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Compiler names the compiler of this build, for logs and tests.
const Compiler = "pure-go"

// compile builds f with the pure-Go compiler (bpf.go).
func compile(f *filter) ([]unix.SockFilter, error) { return compileBPF(f) }

// compileLibseccomp is not available without cgo; the differential tests
// skip.
func compileLibseccomp(*filter) ([]unix.SockFilter, error) {
	return nil, fmt.Errorf("libseccomp needs cgo: %w", errdefs.ErrNotImplemented)
}

func libseccompKnows(string, specs.Arch) bool { return false }

// compilerVersion is part of the cache key.
func compilerVersion() string { return "1" }
