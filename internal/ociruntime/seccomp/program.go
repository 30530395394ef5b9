package seccomp

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Program is a compiled filter: classic BPF instructions for
// seccomp(SECCOMP_SET_MODE_FILTER) and the flags to load them with. It
// travels as JSON: {"flags":N,"bpf":"<base64 of the 8-byte instructions>"}.
type Program struct {
	Filter []unix.SockFilter
	Flags  uint
}

// Compile compiles s with the compiler this binary was built with (see
// doc.go). A nil s gives a nil Program: no filter.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	f, err := newFilter(s)
	if err != nil {
		return nil, err
	}
	ins, err := compile(f)
	if err != nil {
		return nil, err
	}
	return &Program{Filter: ins, Flags: f.flags}, nil
}

// Load installs the filter on the calling OS thread, with one raw
// seccomp(2) call and no memory allocation, so that it can be the last
// thing before execve. The caller must have set no_new_privs or hold
// CAP_SYS_ADMIN, and must stay on this thread (runtime.LockOSThread).
func (p *Program) Load() error {
	if len(p.Filter) == 0 {
		return fmt.Errorf("seccomp: empty program: %w", errdefs.ErrInvalidArgument)
	}
	prog := unix.SockFprog{Len: uint16(len(p.Filter)), Filter: &p.Filter[0]}
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.Flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(p)
	if e != 0 {
		return fmt.Errorf("seccomp: load filter: %w", e)
	}
	return nil
}

type programJSON struct {
	Flags uint   `json:"flags,omitempty"`
	BPF   []byte `json:"bpf"`
}

// MarshalJSON encodes the instructions as base64 of their kernel layout.
func (p *Program) MarshalJSON() ([]byte, error) {
	b := make([]byte, 8*len(p.Filter))
	for i, in := range p.Filter {
		binary.LittleEndian.PutUint16(b[8*i:], in.Code)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.LittleEndian.PutUint32(b[8*i+4:], in.K)
	}
	return json.Marshal(programJSON{Flags: p.Flags, BPF: b})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (p *Program) UnmarshalJSON(data []byte) error {
	var j programJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	ins, err := decodeBPF(j.BPF)
	if err != nil {
		return err
	}
	p.Filter, p.Flags = ins, j.Flags
	return nil
}

// decodeBPF reads instructions in their kernel layout (host byte order,
// little-endian on every architecture berth supports).
func decodeBPF(b []byte) ([]unix.SockFilter, error) {
	if len(b)%8 != 0 || len(b) == 0 || len(b)/8 > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp: bpf program of %d bytes: %w", len(b), errdefs.ErrInvalidArgument)
	}
	out := make([]unix.SockFilter, len(b)/8)
	for i := range out {
		out[i] = unix.SockFilter{
			Code: binary.LittleEndian.Uint16(b[8*i:]), Jt: b[8*i+2], Jf: b[8*i+3],
			K: binary.LittleEndian.Uint32(b[8*i+4:]),
		}
	}
	return out, nil
}
