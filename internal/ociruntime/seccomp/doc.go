// Package seccomp compiles the runtime spec's linux.seccomp section into a
// classic BPF program and loads it into the calling thread, for
// berth-runtime (internal/ociruntime).
//
// Place in the run flow: `berth-runtime create` compiles the filter while
// its init process starts (Compile, in the parent: compiling Docker's default
// profile takes about a millisecond), sends the instructions to init with the
// rest of the configuration, and init loads them (Program.Load, one raw
// seccomp(2) call) as the very last thing before execve, after the exec fifo
// released it and after no_new_privs and the capabilities (see
// internal/ociruntime/seccomp_linux.go for the exact order).
//
// Semantics are runc's, so Docker's default profile behaves as under runc:
// defaultAction with defaultErrnoRet, per-rule errnoRet (EPERM when unset,
// also for SCMP_ACT_TRACE), the listed architectures plus the native one,
// syscall names unknown to the compiler skipped, rules whose action equals
// the default action skipped, the conditions of one rule ANDed, except that a
// rule naming the same argument twice becomes one rule per condition (ORed),
// as runc does. Flags SECCOMP_FILTER_FLAG_LOG and _SPEC_ALLOW are passed to
// the kernel; _TSYNC is ignored (the filter is per thread and the exec'd
// process is single-threaded). SCMP_ACT_NOTIFY and listenerPath are not
// supported (ErrNotImplemented).
//
// Two compilers, one chosen at build time:
//   - with cgo (the normal build: berth-runtime is cgo anyway for its nsenter
//     constructor), github.com/seccomp/libseccomp-golang, the library runc
//     uses, exported as BPF (compile_libseccomp.go);
//   - without cgo, or with -tags berth_purego_seccomp, a small compiler of
//     our own (bpf.go) with the x86 syscall tables of zsyscalls_*.go. Its gaps:
//     x86_64, x32 and i386 only (Compile
//     fails on other hosts); no socketcall(2)/ipc(2) multiplexer expansion on
//     i386 (a rule on "socket" does not also match socketcall(SYS_SOCKET));
//     syscall numbers come from golang.org/x/sys, so it may know newer
//     syscalls than the host's libseccomp. Rules are checked by a binary
//     search on the syscall number, then in profile order.
//
// The tests run both compilers' programs in a BPF interpreter (vm_test.go)
// and require the same verdict for every syscall and argument probed.
//
// Costs measured here (2 vCPU, kernel 6.18, Docker's default profile for
// the default capabilities: 377 names, 3 architectures): libseccomp compiles
// it in 18 ms, the pure-Go compiler in 0.4 ms (CompileCached makes either a
// one-off per profile); the kernel loads libseccomp's 1001 instructions in
// 1.1 ms and the pure-Go 993 in 0.3 ms (its binary search over syscall-number
// ranges JITs faster than libseccomp's chains); and linking libseccomp.so
// costs every berth-runtime process about 0.5 ms at exec. Hence the build
// tag: with the same verdicts, the pure-Go build starts containers faster.
//
// Imports: runtime-spec, x/sys/unix, libseccomp-golang (cgo only), errdefs.
package seccomp
