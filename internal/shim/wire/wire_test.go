package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

func pipe(t *testing.T) (*Conn, *Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return NewConn(a, 4096), NewConn(b, 16)
}

func TestFrameRoundTrip(t *testing.T) {
	frames := []struct {
		kind byte
		p    []byte
	}{
		{KindStdout, []byte("hello\n")},
		{KindStdinEOF, nil},
		{KindStderr, bytes.Repeat([]byte("x"), MaxData)},
		{KindRequest, []byte(`{"id":1,"op":"hello"}`)},
		{KindStdout, bytes.Repeat([]byte("y"), 100<<10)}, // larger than the read buffer
	}
	w, r := pipe(t)
	go func() {
		for _, f := range frames {
			if err := w.Write(f.kind, f.p); err != nil {
				t.Error(err)
			}
		}
		w.Close()
	}()
	for _, f := range frames {
		kind, p, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if kind != f.kind || !bytes.Equal(p, f.p) {
			t.Fatalf("got %c %d bytes, want %c %d bytes", kind, len(p), f.kind, len(f.p))
		}
	}
	if _, _, err := r.Read(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

func TestFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"too large", binary.BigEndian.AppendUint32(nil, MaxFrame+1), ErrFrameTooLarge},
		{"zero length", []byte{0, 0, 0, 0, 'Q'}, ErrFrameTooLarge},
		{"truncated payload", append(binary.BigEndian.AppendUint32(nil, 10), 'Q', 'x'), io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			go func() { a.Write(append(tc.raw, make([]byte, 5-min(5, len(tc.raw)))...)); a.Close() }()
			if _, _, err := NewConn(b, 16).Read(); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	w, _ := pipe(t)
	if err := w.Write(KindStdout, make([]byte, MaxFrame)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("writing an oversized frame: %v", err)
	}
}

func TestConcurrentWritesStayFramed(t *testing.T) {
	w, r := pipe(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				w.WriteJSON(KindEvent, Exit{ID: fmt.Sprint(i), Code: j})
			}
		}()
	}
	go func() { wg.Wait(); w.Close() }()
	next := make([]int, writers)
	for range writers * each {
		kind, p, err := r.Read()
		if err != nil || kind != KindEvent {
			t.Fatal(kind, err)
		}
		var e Exit
		if err := Decode(p, &e); err != nil {
			t.Fatal(err)
		}
		var i int
		fmt.Sscan(e.ID, &i)
		if e.Code != next[i] {
			t.Fatalf("writer %d: got %d want %d", i, e.Code, next[i])
		}
		next[i]++
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		err  error
		is   func(error) bool
		kind string
	}{
		{fmt.Errorf("container %q: %w", "c1", errdefs.ErrNotFound), errdefs.IsNotFound, "notfound"},
		{errdefs.Errorf(errdefs.ErrConflict, "container c1 is running"), errdefs.IsConflict, "conflict"},
		{errdefs.Errorf(errdefs.ErrAlreadyExists, "c1"), errdefs.IsAlreadyExists, "exists"},
		{errdefs.Errorf(errdefs.ErrInvalidArgument, "bad"), errdefs.IsInvalidArgument, "invalid"},
		{errors.New(`OCI runtime create failed: exec: "nope": executable file not found in $PATH`), errdefs.IsInternal, "internal"},
	}
	for _, tc := range tests {
		e := ErrorOf(tc.err)
		if e.Kind != tc.kind {
			t.Errorf("%v: kind %q, want %q", tc.err, e.Kind, tc.kind)
		}
		var back Error
		b, _ := jsonMarshal(e)
		Decode(b, &back)
		got := back.Err()
		if !tc.is(got) || got.Error() != tc.err.Error() {
			t.Errorf("%v came back as %v", tc.err, got)
		}
	}
	if ErrorOf(nil) != nil || (*Error)(nil).Err() != nil {
		t.Error("nil must stay nil")
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
