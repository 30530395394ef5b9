package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// seccompData is struct seccomp_data.
type seccompData struct {
	nr   int32
	arch uint32
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], uint32(d.nr))
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// run interprets a classic BPF program on d the way the kernel's seccomp
// does (loads are 32-bit, host byte order) and returns its verdict.
func run(prog []unix.SockFilter, d seccompData) (uint32, error) {
	data := d.bytes()
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		src := in.K
		if in.Code&0x08 == unix.BPF_X {
			src = x
		}
		switch in.Code & 0x07 {
		case unix.BPF_LD, unix.BPF_LDX:
			v, err := load(in, data, mem[:])
			if err != nil {
				return 0, fmt.Errorf("pc %d: %w", pc, err)
			}
			if in.Code&0x07 == unix.BPF_LD {
				a = v
			} else {
				x = v
			}
		case unix.BPF_ST:
			mem[in.K%16] = a
		case unix.BPF_STX:
			mem[in.K%16] = x
		case unix.BPF_ALU:
			a = alu(in.Code&0xf0, a, src)
		case unix.BPF_JMP:
			pc += jump(in, a, src)
		case unix.BPF_RET:
			if in.Code&0x18 == unix.BPF_A {
				return a, nil
			}
			return in.K, nil
		case unix.BPF_MISC:
			if in.Code&0xf8 == unix.BPF_TAX {
				x = a
			} else {
				a = x
			}
		}
	}
	return 0, fmt.Errorf("fell off the end of the program")
}

func load(in unix.SockFilter, data []byte, mem []uint32) (uint32, error) {
	switch in.Code & 0xe0 {
	case unix.BPF_ABS:
		if in.Code&0x18 != unix.BPF_W || int(in.K)+4 > len(data) {
			return 0, fmt.Errorf("bad load %#x k=%d", in.Code, in.K)
		}
		return binary.LittleEndian.Uint32(data[in.K:]), nil
	case unix.BPF_IMM:
		return in.K, nil
	case unix.BPF_MEM:
		return mem[in.K%16], nil
	case unix.BPF_LEN:
		return uint32(len(data)), nil
	}
	return 0, fmt.Errorf("unsupported load %#x", in.Code)
}

func alu(op uint16, a, v uint32) uint32 {
	switch op {
	case unix.BPF_ADD:
		return a + v
	case unix.BPF_SUB:
		return a - v
	case unix.BPF_MUL:
		return a * v
	case unix.BPF_DIV:
		if v == 0 {
			return 0
		}
		return a / v
	case unix.BPF_OR:
		return a | v
	case unix.BPF_AND:
		return a & v
	case unix.BPF_LSH:
		return a << v
	case unix.BPF_RSH:
		return a >> v
	case unix.BPF_NEG:
		return -a
	case unix.BPF_XOR:
		return a ^ v
	}
	return a
}

// jump returns how many instructions to skip.
func jump(in unix.SockFilter, a, v uint32) int {
	var cond bool
	switch in.Code & 0xf0 {
	case unix.BPF_JA:
		return int(in.K)
	case unix.BPF_JEQ:
		cond = a == v
	case unix.BPF_JGT:
		cond = a > v
	case unix.BPF_JGE:
		cond = a >= v
	case unix.BPF_JSET:
		cond = a&v != 0
	}
	if cond {
		return int(in.Jt)
	}
	return int(in.Jf)
}
