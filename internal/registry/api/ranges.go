package api

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseContentRange parses the Content-Range of a chunk upload: "start-end"
// (the spec's form, inclusive), tolerating the HTTP forms "bytes start-end"
// and "bytes start-end/total" that some clients send. It returns
// ErrRangeInvalid for anything else, negative numbers or end < start.
func ParseContentRange(s string) (start, end int64, err error) {
	v := strings.TrimSpace(s)
	if b, ok := strings.CutPrefix(v, "bytes"); ok {
		v = strings.TrimLeft(b, " =")
	}
	if i := strings.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return 0, 0, fmt.Errorf("content range %q: %w", s, ErrRangeInvalid)
	}
	start, err1 := parseOffset(a)
	end, err2 := parseOffset(b)
	if err1 != nil || err2 != nil || end < start {
		return 0, 0, fmt.Errorf("content range %q: %w", s, ErrRangeInvalid)
	}
	return start, end, nil
}

// parseOffset accepts only plain decimal digits (no sign, no spaces), so
// "-1" or "+1" cannot sneak through strconv.
func parseOffset(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("offset %q: %w", s, ErrRangeInvalid)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("offset %q: %w", s, ErrRangeInvalid)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// ByteRange is a satisfiable range of a blob: Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// ContentRange is the Content-Range header value of r in a blob of size.
func (r ByteRange) ContentRange(size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, size)
}

// ParseRange parses an HTTP Range header ("bytes=a-b", "bytes=a-",
// "bytes=-n") against a blob of size. ok is false when the header is absent
// or asks for several ranges (the whole blob is then sent, as HTTP allows).
// A range that cannot be satisfied (start past the end, end before start,
// an empty suffix, a malformed spec) returns ErrRangeInvalid, sent as 416.
func ParseRange(h string, size int64) (r ByteRange, ok bool, err error) {
	if h == "" {
		return ByteRange{}, false, nil
	}
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found {
		return ByteRange{}, false, fmt.Errorf("range %q: %w", h, ErrRangeInvalid)
	}
	if strings.Contains(spec, ",") {
		return ByteRange{}, false, nil
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return ByteRange{}, false, fmt.Errorf("range %q: %w", h, ErrRangeInvalid)
	}
	if a == "" { // suffix: the last n bytes
		n, err := parseOffset(b)
		if err != nil || n == 0 || size == 0 {
			return ByteRange{}, false, fmt.Errorf("range %q: %w", h, ErrRangeInvalid)
		}
		n = min(n, size)
		return ByteRange{Start: size - n, Length: n}, true, nil
	}
	start, err := parseOffset(a)
	if err != nil || start >= size {
		return ByteRange{}, false, fmt.Errorf("range %q: %w", h, ErrRangeInvalid)
	}
	end := size - 1
	if b != "" {
		if end, err = parseOffset(b); err != nil || end < start {
			return ByteRange{}, false, fmt.Errorf("range %q: %w", h, ErrRangeInvalid)
		}
		end = min(end, size-1)
	}
	return ByteRange{Start: start, Length: end - start + 1}, true, nil
}
