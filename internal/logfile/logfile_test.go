package logfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 21, 28, 36, 123456789, time.UTC)

func TestAppendEntry(t *testing.T) {
	tests := []struct {
		line   string
		stream string
		at     time.Time
		want   string
	}{
		{"hello\n", "stdout", t0, `{"log":"hello\n","stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}`},
		{"err", "stderr", t0.Add(-9), `{"log":"err","stream":"stderr","time":"2026-12-01T21:28:36.12345678Z"}`},
		{"", "stdout", t0, `{"stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}`},
		{"a\tb\r\n", "stdout", t0, `{"log":"a\u0009b\r\n","stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}`},
		{`<a href="x">&\</a>`, "stdout", t0, `{"log":"\u003ca href=\"x\"\u003e\u0026\\\u003c/a\u003e","stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}`},
		{"bad\xffutf8 é \u2028", "stdout", t0, `{"log":"bad\ufffdutf8 é \u2028","stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}`},
		{"local", "stdout", time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)), `{"log":"local","stream":"stdout","time":"2026-01-02T02:04:05Z"}`},
	}
	for _, tc := range tests {
		got := string(appendEntry(nil, []byte(tc.line), tc.stream, tc.at))
		if got != tc.want+"\n" {
			t.Errorf("appendEntry(%q)\n got %s want %s", tc.line, got, tc.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("appendEntry(%q) is not valid JSON", tc.line)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	lines := []string{
		"hello\n", "", "a\tb\r\n", `quote " back \ slash`, "<>&", "é 日本 \u2028\u2029 😀",
		"\x00\x01\x1f\x7f", strings.Repeat("x", 20000),
	}
	for _, l := range lines {
		enc := appendEntry(nil, []byte(l), "stderr", t0)
		m, err := decodeEntry(enc[:len(enc)-1])
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if string(m.Line) != l || m.Stream != "stderr" || !m.Time.Equal(t0) {
			t.Errorf("round trip of %q gave %q %q %v", l, m.Line, m.Stream, m.Time)
		}
	}
	// Invalid UTF-8 comes back as U+FFFD, as with dockerd.
	enc := appendEntry(nil, []byte("a\xffb"), "stdout", t0)
	if m, _ := decodeEntry(enc[:len(enc)-1]); string(m.Line) != "a\ufffdb" {
		t.Errorf("invalid utf-8 decoded as %q", m.Line)
	}
}

func TestDecodeForeign(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`{"log":"x\n","stream":"stdout","attrs":{"a":"b"},"time":"2026-12-01T21:28:36Z"}`, "x\n", false},
		{`{"time":"2026-12-01T21:28:36Z","log":"y","stream":"stdout"}`, "y", false},
		{`{"log":"\ud83d\ude00","stream":"stdout","time":"2026-12-01T21:28:36Z"}`, "😀", false},
		{`{"log":"x`, "", true},
		{`garbage`, "", true},
	}
	for _, tc := range tests {
		m, err := decodeEntry([]byte(tc.in))
		if (err != nil) != tc.wantErr {
			t.Errorf("decode %s: err %v", tc.in, err)
			continue
		}
		if string(m.Line) != tc.want {
			t.Errorf("decode %s = %q, want %q", tc.in, m.Line, tc.want)
		}
	}
}

// readLog decodes every entry of a file.
func readLog(t *testing.T, path string) []Message {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		m, err := decodeEntry(l[:len(l)-1])
		if err != nil {
			t.Fatalf("entry %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestStreamSplitting(t *testing.T) {
	long := strings.Repeat("a", MaxMessage+10)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"lines", []string{"a\nb\n"}, []string{"a\n", "b\n"}},
		{"across writes", []string{"he", "llo\nwor", "ld\n"}, []string{"hello\n", "world\n"}},
		{"final chunk without newline", []string{"x\ny"}, []string{"x\n", "y"}},
		{"empty lines", []string{"\n\n"}, []string{"\n", "\n"}},
		{"long line split", []string{long + "\n"}, []string{long[:MaxMessage], long[MaxMessage:] + "\n"}},
		{"long partial", []string{long[:MaxMessage-1], "bc"}, []string{long[:MaxMessage-1] + "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			w, err := Open(path, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			s := w.Stream("stdout")
			for _, p := range tc.writes {
				if n, err := s.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("write: %d %v", n, err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			var got []string
			for _, m := range readLog(t, path) {
				got = append(got, string(m.Line))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if s.pending != nil {
				t.Error("stream keeps a buffer after Close")
			}
		})
	}
}

func TestRotation(t *testing.T) {
	tests := []struct {
		maxFiles  int
		wantFiles []string
	}{
		{3, []string{"l.log", "l.log.1", "l.log.2"}},
		{1, []string{"l.log"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.maxFiles), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "l.log")
			w, err := Open(path, 300, tc.maxFiles)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 40 {
				if err := w.WriteMessage("stdout", fmt.Appendf(nil, "line %d\n", i), t0); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			ents, _ := os.ReadDir(dir)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if fmt.Sprint(names) != fmt.Sprint(tc.wantFiles) {
				t.Fatalf("files %v, want %v", names, tc.wantFiles)
			}
			// Each file holds at most one entry beyond max-size, and the
			// newest lines are all kept in order.
			var all []string
			if err := Read(t.Context(), path, tc.maxFiles, ReadOptions{Tail: -1}, func(m Message) error {
				all = append(all, string(m.Line))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if all[len(all)-1] != "line 39\n" {
				t.Errorf("last line %q", all[len(all)-1])
			}
			for i := 1; i < len(all); i++ {
				var a, b int
				fmt.Sscanf(all[i-1], "line %d", &a)
				fmt.Sscanf(all[i], "line %d", &b)
				if b != a+1 {
					t.Fatalf("lines out of order: %q then %q", all[i-1], all[i])
				}
			}
		})
	}
}
