package seccomp

import (
	"fmt"
	"runtime"
	"sort"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The pure-Go compiler (used without cgo). Program layout:
//
//	ld arch
//	arch == X86_64 ? goto amd64     (one test per architecture section)
//	arch == I386   ? goto i386
//	return KILL                     (an architecture not in the filter: libseccomp's default)
//	amd64: ld nr
//	       nr >= 0x40000000 ? goto x32 (or return KILL when x32 is not in the filter)
//	       binary search on nr, leaves: nr == N ? goto rules_N
//	       return default
//	       rules_N: each rule in profile order: its conditions, then return its action;
//	                a failed condition goes to the next rule; return default
//	x32:   ...  i386: ... (same shape)
//
// Every conditional jump is "jxx K, 0, 1; ja L": jump offsets of classic BPF
// conditionals are 8 bits, ja's are 32.

// seccomp_data offsets (linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	x32Bit  = 0x40000000
)

// section is one architecture's part of the program.
type section struct {
	audit  uint32            // AUDIT_ARCH_*
	table  map[string]uint32 // syscall numbers
	x32    bool              // the x32 numbers of AUDIT_ARCH_X86_64
	arg32  bool              // 32-bit arguments (i386, x32, as libseccomp): compare the low word only
	hasX32 bool              // (x86_64) the filter also covers x32
}

var archSections = map[specs.Arch]section{
	specs.ArchX86_64: {audit: unix.AUDIT_ARCH_X86_64, table: sysAMD64},
	specs.ArchX32:    {audit: unix.AUDIT_ARCH_X86_64, table: sysX32, x32: true, arg32: true}, // libseccomp: x32 arguments are 32-bit
	specs.ArchX86:    {audit: unix.AUDIT_ARCH_I386, table: sysI386, arg32: true},
}

var nativeArch = map[string]specs.Arch{"amd64": specs.ArchX86_64, "386": specs.ArchX86}

// compileBPF is the pure-Go compiler.
func compileBPF(f *filter) ([]unix.SockFilter, error) {
	native, ok := nativeArch[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("seccomp: the pure-Go compiler does not support %s (build with cgo for libseccomp): %w", runtime.GOARCH, errdefs.ErrNotImplemented)
	}
	want := map[specs.Arch]bool{native: true}
	for _, a := range f.archs {
		if _, ok := archSections[a]; ok {
			want[a] = true
		} // other architectures: not in the filter, so killed like unknown ones
	}
	a := &asm{}
	badArch := uint32(unix.SECCOMP_RET_KILL_THREAD)
	onlyX32 := want[specs.ArchX32] && !want[specs.ArchX86_64]
	a.ldAbs(offArch)
	labels := map[specs.Arch]label{}
	for _, arch := range []specs.Arch{specs.ArchX86_64, specs.ArchX86} {
		if want[arch] {
			labels[arch] = a.newLabel()
			a.jumpIf(unix.BPF_JEQ, archSections[arch].audit, labels[arch])
		}
	}
	if onlyX32 {
		labels[specs.ArchX32] = a.newLabel()
		a.jumpIf(unix.BPF_JEQ, unix.AUDIT_ARCH_X86_64, labels[specs.ArchX32])
	}
	a.ret(badArch)
	for _, arch := range []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32} {
		l, ok := labels[arch]
		if !ok {
			continue
		}
		a.bind(l)
		sec := archSections[arch]
		sec.hasX32 = arch == specs.ArchX86_64 && want[specs.ArchX32]
		emitSection(a, f, sec, badArch)
	}
	return a.finish()
}

// emitSection writes one architecture's dispatch and rules (and, for
// x86_64 with x32, the x32 section right after it).
func emitSection(a *asm, f *filter, sec section, badArch uint32) {
	a.ldAbs(offNr)
	var x32 label
	switch {
	case sec.hasX32:
		x32 = a.newLabel()
		a.jumpIf(unix.BPF_JGE, x32Bit, x32)
	case sec.audit == unix.AUDIT_ARCH_X86_64 && !sec.x32:
		a.retIf(unix.BPF_JGE, x32Bit, badArch)
	case sec.x32:
		a.retIfNot(unix.BPF_JGE, x32Bit, badArch)
	}
	emitRules(a, f, sec)
	if sec.hasX32 {
		a.bind(x32)
		x := archSections[specs.ArchX32]
		emitRules(a, f, x)
	}
}

// emitRules writes the syscall-number search and the rule blocks. The
// accumulator holds the syscall number on entry.
func emitRules(a *asm, f *filter, sec section) {
	byNr := map[uint32][]rule{}
	for _, r := range f.rules {
		if nr, ok := sec.table[r.name]; ok {
			byNr[nr] = append(byNr[nr], r)
		}
	}
	ivs := intervals(a, byNr, f.defaultAction)
	search(a, ivs)
	for _, iv := range ivs {
		if iv.rules == nil {
			continue
		}
		a.bind(iv.block)
		for _, r := range iv.rules {
			next := a.newLabel()
			for _, c := range r.conds {
				emitCond(a, c, sec.arg32, next)
			}
			a.ret(r.action)
			a.bind(next)
		}
		a.ret(f.defaultAction)
	}
}

// interval is a run of syscall numbers from start up to the next
// interval's start: either all with one verdict (ret), or one number whose
// rules have conditions (rules, checked in block).
type interval struct {
	start uint32
	ret   uint32
	rules []rule
	block label
}

// intervals covers every number from 0 up: numbers with one unconditional
// verdict are merged with their neighbours of the same verdict (the default
// action included), so a dense allow list costs a few comparisons.
func intervals(a *asm, byNr map[uint32][]rule, def uint32) []interval {
	nrs := make([]uint32, 0, len(byNr))
	for nr := range byNr {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	var out []interval
	add := func(start, ret uint32, rules []rule) {
		if rules == nil && len(out) > 0 && out[len(out)-1].rules == nil && out[len(out)-1].ret == ret {
			return // extends the previous interval
		}
		iv := interval{start: start, ret: ret, rules: rules}
		if rules != nil {
			iv.block = a.newLabel()
		}
		out = append(out, iv)
	}
	next := uint32(0)
	for _, nr := range nrs {
		if nr > next {
			add(next, def, nil)
		}
		rs := byNr[nr]
		if len(rs[0].conds) == 0 {
			add(nr, rs[0].action, nil) // an unconditional first rule decides
		} else {
			add(nr, 0, rs)
		}
		next = nr + 1
	}
	add(next, def, nil)
	return out
}

// search emits a binary search over the intervals; every leaf returns its
// verdict or jumps to its rule block.
func search(a *asm, ivs []interval) {
	if len(ivs) == 1 {
		if ivs[0].rules != nil {
			a.jump(ivs[0].block)
		} else {
			a.ret(ivs[0].ret)
		}
		return
	}
	mid := len(ivs) / 2
	upper := a.newLabel()
	a.jumpIf(unix.BPF_JGE, ivs[mid].start, upper)
	search(a, ivs[:mid])
	a.bind(upper)
	search(a, ivs[mid:])
}

// emitCond checks one argument condition and jumps to fail when it does not
// hold; it falls through when it holds. 64-bit values are compared high
// word first (seccomp_data is little-endian on the supported hosts).
func emitCond(a *asm, c specs.LinuxSeccompArg, arg32 bool, fail label) {
	lo, hi := uint32(offArgs+8*c.Index), uint32(offArgs+8*c.Index+4)
	v, v2 := c.Value, c.ValueTwo
	pass := a.newLabel()
	switch c.Op {
	case specs.OpEqualTo, specs.OpMaskedEqual:
		mask, want := ^uint64(0), v
		if c.Op == specs.OpMaskedEqual {
			mask, want = v, v2
		}
		if !arg32 {
			a.ldAbs(hi)
			a.and(uint32(mask >> 32))
			a.jumpIfNot(unix.BPF_JEQ, uint32(want>>32), fail)
		}
		a.ldAbs(lo)
		a.and(uint32(mask))
		a.jumpIfNot(unix.BPF_JEQ, uint32(want), fail)
	case specs.OpNotEqual:
		if !arg32 {
			a.ldAbs(hi)
			a.jumpIfNot(unix.BPF_JEQ, uint32(v>>32), pass)
		}
		a.ldAbs(lo)
		a.jumpIf(unix.BPF_JEQ, uint32(v), fail)
	default: // ordered comparisons
		emitOrdered(a, c.Op, lo, hi, v, arg32, pass, fail)
	}
	a.bind(pass)
}

// emitOrdered compares the argument with v for > >= < <=: the high words
// decide unless they are equal, then the low words do.
func emitOrdered(a *asm, op specs.LinuxSeccompOperator, lo, hi uint32, v uint64, arg32 bool, pass, fail label) {
	greater := op == specs.OpGreaterThan || op == specs.OpGreaterEqual
	if !arg32 {
		a.ldAbs(hi)
		if greater {
			a.jumpIf(unix.BPF_JGT, uint32(v>>32), pass)
			a.jumpIfNot(unix.BPF_JEQ, uint32(v>>32), fail)
		} else {
			a.jumpIf(unix.BPF_JGT, uint32(v>>32), fail)
			a.jumpIfNot(unix.BPF_JEQ, uint32(v>>32), pass)
		}
	}
	a.ldAbs(lo)
	switch op {
	case specs.OpGreaterThan:
		a.jumpIfNot(unix.BPF_JGT, uint32(v), fail)
	case specs.OpGreaterEqual:
		a.jumpIfNot(unix.BPF_JGE, uint32(v), fail)
	case specs.OpLessThan:
		a.jumpIf(unix.BPF_JGE, uint32(v), fail)
	case specs.OpLessEqual:
		a.jumpIf(unix.BPF_JGT, uint32(v), fail)
	}
}

// label is a forward jump target of asm.
type label int

// asm assembles classic BPF with forward labels.
type asm struct {
	ins    []unix.SockFilter
	pos    []int // label -> instruction index (-1: unbound)
	fixups []struct{ at, to int }
}

func (a *asm) newLabel() label { a.pos = append(a.pos, -1); return label(len(a.pos) - 1) }
func (a *asm) bind(l label)    { a.pos[l] = len(a.ins) }
func (a *asm) emit(code uint16, jt, jf uint8, k uint32) {
	a.ins = append(a.ins, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
}
func (a *asm) ldAbs(off uint32) { a.emit(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0, 0, off) }
func (a *asm) and(k uint32) {
	if k != ^uint32(0) {
		a.emit(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, 0, 0, k)
	}
}
func (a *asm) ret(v uint32) { a.emit(unix.BPF_RET|unix.BPF_K, 0, 0, v) }
func (a *asm) jump(l label) {
	a.fixups = append(a.fixups, struct{ at, to int }{len(a.ins), int(l)})
	a.emit(unix.BPF_JMP|unix.BPF_JA, 0, 0, 0)
}

// jumpIf jumps to l when (A op k) holds; jumpIfNot when it does not.
func (a *asm) jumpIf(op uint16, k uint32, l label) {
	a.emit(unix.BPF_JMP|op|unix.BPF_K, 0, 1, k)
	a.jump(l)
}
func (a *asm) jumpIfNot(op uint16, k uint32, l label) {
	a.emit(unix.BPF_JMP|op|unix.BPF_K, 1, 0, k)
	a.jump(l)
}

// retIf returns v when (A op k) holds; retIfNot when it does not.
func (a *asm) retIf(op uint16, k, v uint32) {
	a.emit(unix.BPF_JMP|op|unix.BPF_K, 0, 1, k)
	a.ret(v)
}
func (a *asm) retIfNot(op uint16, k, v uint32) {
	a.emit(unix.BPF_JMP|op|unix.BPF_K, 1, 0, k)
	a.ret(v)
}

// finish resolves the jumps (all forward, as seccomp requires).
func (a *asm) finish() ([]unix.SockFilter, error) {
	for _, f := range a.fixups {
		to := a.pos[f.to]
		if to <= f.at {
			return nil, fmt.Errorf("seccomp: internal error: unbound or backward label")
		}
		a.ins[f.at].K = uint32(to - f.at - 1)
	}
	if len(a.ins) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp: program of %d instructions exceeds the kernel's %d: %w", len(a.ins), unix.BPF_MAXINSNS, errdefs.ErrInvalidArgument)
	}
	return a.ins, nil
}
