package logfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog writes n lines "stdout i" / "stderr i" (odd i on stderr), one
// second apart from t0, rotating at maxSize into maxFiles files.
func writeLog(t testing.TB, path string, n int, maxSize int64, maxFiles int) {
	t.Helper()
	w, err := Open(path, maxSize, maxFiles)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range n {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		if err := w.WriteMessage(stream, fmt.Appendf(nil, "%s %d\n", stream, i), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(t *testing.T, path string, maxFiles int, o ReadOptions) string {
	t.Helper()
	var b strings.Builder
	err := Read(t.Context(), path, maxFiles, o, func(m Message) error {
		b.Write(m.Line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func lines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		s := "stdout"
		if i%2 == 1 {
			s = "stderr"
		}
		fmt.Fprintf(&b, "%s %d\n", s, i)
	}
	return b.String()
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	single := filepath.Join(dir, "single.log")
	writeLog(t, single, 100, 0, 1)
	rotated := filepath.Join(dir, "rot.log")
	writeLog(t, rotated, 100, 1000, 5) // ~ 25 lines a file: the oldest rotated away
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	tests := []struct {
		name     string
		path     string
		maxFiles int
		opts     ReadOptions
		want     string
	}{
		{"all", single, 1, ReadOptions{Tail: -1}, lines(0, 100)},
		{"tail 3", single, 1, ReadOptions{Tail: 3}, lines(97, 100)},
		{"tail 0", single, 1, ReadOptions{Tail: 0}, ""},
		{"tail more than all", single, 1, ReadOptions{Tail: 1000}, lines(0, 100)},
		{"since", single, 1, ReadOptions{Tail: -1, Since: at(95)}, lines(95, 100)},
		{"since between", single, 1, ReadOptions{Tail: -1, Since: at(95).Add(-time.Millisecond)}, lines(95, 100)},
		{"until", single, 1, ReadOptions{Tail: -1, Until: at(2)}, lines(0, 3)},
		{"since and until", single, 1, ReadOptions{Tail: -1, Since: at(10), Until: at(12)}, lines(10, 13)},
		{"tail and since", single, 1, ReadOptions{Tail: 10, Since: at(95)}, lines(95, 100)},
		{"stdout only", single, 1, ReadOptions{Tail: 4, Stdout: true}, "stdout 96\nstdout 98\n"},
		{"stderr only", single, 1, ReadOptions{Tail: 4, Stderr: true}, "stderr 97\nstderr 99\n"},
		{"rotated all", rotated, 5, ReadOptions{Tail: -1}, lines(100-countLines(t, rotated, 5), 100)},
		{"rotated tail across files", rotated, 5, ReadOptions{Tail: 40}, lines(60, 100)},
		{"rotated since", rotated, 5, ReadOptions{Tail: -1, Since: at(50)}, lines(50, 100)},
		{"missing", filepath.Join(dir, "nope.log"), 3, ReadOptions{Tail: -1}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := collect(t, tc.path, tc.maxFiles, tc.opts); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func countLines(t *testing.T, path string, maxFiles int) int {
	n := 0
	for i := range maxFiles {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s.%d", path, i)
		}
		b, _ := os.ReadFile(name)
		n += bytes.Count(b, []byte("\n"))
	}
	if n < 60 || n >= 100 {
		t.Fatalf("rotation kept %d lines; test expects 60..99", n)
	}
	return n
}

func TestReadIgnoresTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	writeLog(t, path, 5, 0, 1)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"log":"torn`)
	f.Close()
	if got := collect(t, path, 1, ReadOptions{Tail: 2}); got != lines(3, 5) {
		t.Errorf("tail: %q", got)
	}
	if got := collect(t, path, 1, ReadOptions{Tail: -1}); got != lines(0, 5) {
		t.Errorf("all: %q", got)
	}
}

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	w, err := Open(path, 400, 3) // rotates every ~5 lines
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 3 {
		w.WriteMessage("stdout", fmt.Appendf(nil, "stdout %d\n", i), t0)
	}
	stop := make(chan struct{})
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- Read(t.Context(), path, 3, ReadOptions{Tail: 1, Follow: true, Stop: stop}, func(m Message) error {
			got <- string(m.Line)
			return nil
		})
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("got %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timeout waiting for %q", want)
		}
	}
	expect("stdout 2\n")
	// New lines arrive promptly (inotify), across several rotations.
	for i := 3; i < 30; i++ {
		start := time.Now()
		w.WriteMessage("stdout", fmt.Appendf(nil, "stdout %d\n", i), t0)
		expect(fmt.Sprintf("stdout %d\n", i))
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("line %d took %v", i, d)
		}
	}
	// Lines written before Stop is closed are drained, then Read returns.
	w.WriteMessage("stdout", []byte("last\n"), t0)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	expect("last\n")
}

func TestFollowCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	writeLog(t, path, 2, 0, 1)
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() {
		done <- Read(ctx, path, 1, ReadOptions{Tail: -1, Follow: true}, func(Message) error { return nil })
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("cancelled follow returned nil")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end on cancel")
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r    io.ReaderAt
	size int64
	n    int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func (c *countingReaderAt) Size() int64 { return c.size }

func TestScanBackReadsOnlyTheEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	writeLog(t, path, 50000, 0, 1)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	c := &countingReaderAt{r: f, size: st.Size()}
	n := 0
	off, found, err := scanBack(c, func([]byte) bool { n++; return n > 10 })
	if err != nil || !found {
		t.Fatal(found, err)
	}
	if c.n > backBlock {
		t.Errorf("tail 10 read %d bytes of a %d-byte file", c.n, st.Size())
	}
	rest := make([]byte, st.Size()-off)
	f.ReadAt(rest, off)
	if bytes.Count(rest, []byte("\n")) != 10 {
		t.Errorf("start offset leaves %d lines", bytes.Count(rest, []byte("\n")))
	}
}

func BenchmarkReadAll10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "l.log")
	writeLog(b, path, 10000, 0, 1)
	b.ResetTimer()
	for b.Loop() {
		n := 0
		Read(b.Context(), path, 1, ReadOptions{Tail: -1}, func(Message) error { n++; return nil })
		if n != 10000 {
			b.Fatal(n)
		}
	}
}

func BenchmarkTail10Of200MB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	entry := appendEntry(nil, []byte(strings.Repeat("x", 100)+"\n"), "stdout", t0)
	chunk := bytes.Repeat(entry, (1<<20)/len(entry))
	for range 200 {
		f.Write(chunk)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		Read(b.Context(), path, 1, ReadOptions{Tail: 10}, func(Message) error { n++; return nil })
		if n != 10 {
			b.Fatal(n)
		}
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}

func TestFollowFileCreatedLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "late.log")
	stop := make(chan struct{})
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Read(t.Context(), path, 1, ReadOptions{Tail: -1, Follow: true, Stop: stop}, func(m Message) error {
			got <- string(m.Line)
			return nil
		})
	}()
	time.Sleep(50 * time.Millisecond)
	writeLog(t, path, 2, 0, 1)
	for _, want := range []string{"stdout 0\n", "stderr 1\n"} {
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("got %q want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timeout waiting for %q", want)
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
