package seccomp

import "testing"

func BenchmarkCompileLibseccomp(b *testing.B) {
	f, _ := newFilter(testProfile())
	for b.Loop() {
		if _, err := compileLibseccomp(f); err != nil {
			b.Skip(err)
		}
	}
}

func BenchmarkCompilePureGo(b *testing.B) {
	f, _ := newFilter(testProfile())
	for b.Loop() {
		if _, err := compileBPF(f); err != nil {
			b.Fatal(err)
		}
	}
}
