package api

import (
	"errors"
	"testing"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end int64
		ok         bool
	}{
		{"0-99", 0, 99, true},
		{"100-100", 100, 100, true},
		{"bytes 5-9", 5, 9, true},
		{"bytes=5-9", 5, 9, true},
		{"bytes 5-9/100", 5, 9, true},
		{" 7-8 ", 7, 8, true},
		{"9-5", 0, 0, false},
		{"-5", 0, 0, false},
		{"5-", 0, 0, false},
		{"5", 0, 0, false},
		{"-1-5", 0, 0, false},
		{"+1-5", 0, 0, false},
		{"a-b", 0, 0, false},
		{"1 -5", 0, 0, false},
		{"0-9999999999999999999", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tc := range tests {
		start, end, err := ParseContentRange(tc.in)
		if tc.ok != (err == nil) || (tc.ok && (start != tc.start || end != tc.end)) {
			t.Errorf("ParseContentRange(%q) = %d, %d, %v", tc.in, start, end, err)
		}
		if err != nil && !errors.Is(err, ErrRangeInvalid) {
			t.Errorf("ParseContentRange(%q) error %v is not RANGE_INVALID", tc.in, err)
		}
	}
}

func TestParseRange(t *testing.T) {
	const size = 2048
	tests := []struct {
		in      string
		want    ByteRange
		partial bool
		err     bool
	}{
		{"", ByteRange{}, false, false},
		{"bytes=500-1499", ByteRange{500, 1000}, true, false},
		{"bytes=500-", ByteRange{500, 1548}, true, false},
		{"bytes=-500", ByteRange{1548, 500}, true, false},
		{"bytes=-5000", ByteRange{0, 2048}, true, false},
		{"bytes=2000-5000", ByteRange{2000, 48}, true, false},
		{"bytes=0-0", ByteRange{0, 1}, true, false},
		{"bytes=2047-2047", ByteRange{2047, 1}, true, false},
		{"bytes=0-1,5-6", ByteRange{}, false, false}, // several ranges: whole blob
		{"bytes=500-0", ByteRange{}, false, true},
		{"bytes=5000-10000", ByteRange{}, false, true},
		{"bytes=2048-", ByteRange{}, false, true},
		{"bytes=-0", ByteRange{}, false, true},
		{"bytes=-", ByteRange{}, false, true},
		{"bytes=a-b", ByteRange{}, false, true},
		{"items=0-1", ByteRange{}, false, true},
		{"bytes=--1", ByteRange{}, false, true},
	}
	for _, tc := range tests {
		got, partial, err := ParseRange(tc.in, size)
		if (err != nil) != tc.err || partial != tc.partial || got != tc.want {
			t.Errorf("ParseRange(%q) = %+v, %v, %v", tc.in, got, partial, err)
		}
		if err != nil && !errors.Is(err, ErrRangeInvalid) {
			t.Errorf("ParseRange(%q) error %v is not RANGE_INVALID", tc.in, err)
		}
	}
	if _, _, err := ParseRange("bytes=0-", 0); err == nil {
		t.Error("a range of an empty blob must be unsatisfiable")
	}
	if got := (ByteRange{500, 1000}).ContentRange(size); got != "bytes 500-1499/2048" {
		t.Errorf("ContentRange = %q", got)
	}
}

// FuzzParseRange: no input panics, and an accepted range lies inside the
// blob and is not empty.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=5-", "bytes=0-1,2-3", "bytes=9-1", "", "bytes=-",
		"bytes=18446744073709551615-", "bytes=-9223372036854775807"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		r, ok, err := ParseRange(h, size)
		if err != nil && (ok || !errors.Is(err, ErrRangeInvalid)) {
			t.Fatalf("ParseRange(%q, %d) = %v, %v, %v", h, size, r, ok, err)
		}
		if ok && (r.Start < 0 || r.Length < 1 || r.Start+r.Length > size) {
			t.Fatalf("ParseRange(%q, %d) = %+v outside the blob", h, size, r)
		}
	})
}

// FuzzParseContentRange: no input panics, and an accepted range is
// ordered and non-negative.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"0-1", "bytes 0-1/2", "5-4", "-", "1-", "bytes=3-9", "99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseContentRange(s)
		if err == nil && (start < 0 || end < start) {
			t.Fatalf("ParseContentRange(%q) = %d, %d", s, start, end)
		}
		if err != nil && !errors.Is(err, ErrRangeInvalid) {
			t.Fatalf("ParseContentRange(%q) error %v", s, err)
		}
	})
}
