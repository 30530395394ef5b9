package seccomp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CompileCached is Compile with a cache of compiled programs in dir (0700,
// created if missing), keyed by the compiler, this binary and the profile's
// JSON: every
// container started with Docker's default profile and the same capabilities
// compiles the same program, and libseccomp takes 10-30 ms to build it (the
// pure-Go compiler under 1 ms). Cache errors fall back to compiling.
func CompileCached(s *specs.LinuxSeccomp, dir string) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	f, err := newFilter(s) // validates, and gives the flags
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	sum := sha256.Sum256(append([]byte(Compiler+" "+compilerVersion()+" "+exeID()+"\n"), raw...))
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".bpf")
	if b, err := os.ReadFile(path); err == nil {
		if ins, err := decodeBPF(b); err == nil {
			return &Program{Filter: ins, Flags: f.flags}, nil
		}
	}
	ins, err := compile(f)
	if err != nil {
		return nil, err
	}
	p := &Program{Filter: ins, Flags: f.flags}
	store(dir, path, p)
	return p, nil
}

// store writes the program atomically (temp file and rename); failures
// only cost a recompilation next time.
func store(dir, path string, p *Program) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	b := make([]byte, 0, 8*len(p.Filter))
	for _, in := range p.Filter {
		b = append(b, byte(in.Code), byte(in.Code>>8), in.Jt, in.Jf, byte(in.K), byte(in.K>>8), byte(in.K>>16), byte(in.K>>24))
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
}

// exeID identifies this binary (size and modification time): a rebuilt
// compiler does not reuse an older one's programs.
func exeID() string {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%d-%d.%d", st.Size, st.Mtim.Sec, st.Mtim.Nsec)
}
