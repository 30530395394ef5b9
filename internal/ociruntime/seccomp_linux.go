package ociruntime

import (
	"fmt"
	"path/filepath"

	"github.com/berthproject/berth/internal/ociruntime/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompProgram is the compiled linux.seccomp that init loads.
type seccompProgram = seccomp.Program

// seccompCacheDir holds compiled programs under the state root ("@" is not
// valid in a container id, so no container can own the name; see
// seccomp.CompileCached): Docker's default profile compiles once per
// capability set, not once per container.
func seccompCacheDir(root string) string { return filepath.Join(root, "@seccomp") }

// compileSeccomp compiles the spec's filter in the parent, while init
// starts; init only loads it.
func compileSeccomp(root string, spec *specs.Spec) (*seccompProgram, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	p, err := seccomp.CompileCached(spec.Linux.Seccomp, seccompCacheDir(root))
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	return p, nil
}
