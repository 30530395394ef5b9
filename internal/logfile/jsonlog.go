package logfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Message is one log entry: a line (with its trailing '\n' when it had one),
// the stream it came from ("stdout" or "stderr") and when it was read.
type Message struct {
	Line   []byte
	Stream string
	Time   time.Time
}

// appendEntry appends the json-file encoding of one message, newline
// included, to dst: {"log":...,"stream":...,"time":...}.
func appendEntry(dst []byte, line []byte, stream string, t time.Time) []byte {
	dst = append(dst, '{')
	if len(line) != 0 {
		dst = append(dst, `"log":`...)
		dst = appendString(dst, line)
		dst = append(dst, ',')
	}
	if stream != "" {
		dst = append(dst, `"stream":`...)
		dst = appendString(dst, []byte(stream))
		dst = append(dst, ',')
	}
	dst = append(dst, `"time":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, `"}`+"\n"...)
}

// appendString appends s as a JSON string the way dockerd's jsonlog does:
// '\n' and '\r' short, other control characters and <, >, & as \u00XX,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRune(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

var errSyntax = errors.New("logfile: malformed json-file entry")

// decodeEntry decodes one json-file line (without its newline). It takes a
// fast path for dockerd's own layout and falls back to encoding/json.
func decodeEntry(line []byte) (Message, error) {
	if m, ok := decodeFast(line); ok {
		return m, nil
	}
	var v struct {
		Log    string    `json:"log"`
		Stream string    `json:"stream"`
		Time   time.Time `json:"time"`
	}
	if err := json.Unmarshal(line, &v); err != nil {
		return Message{}, errors.Join(errSyntax, err)
	}
	return Message{Line: []byte(v.Log), Stream: v.Stream, Time: v.Time}, nil
}

// decodeFast decodes `{"log":S,"stream":S,"time":S}` (log optional).
func decodeFast(b []byte) (Message, bool) {
	var m Message
	rest, ok := cutPrefix(b, `{"log":`)
	if ok {
		if m.Line, rest, ok = readString(rest); !ok {
			return m, false
		}
		if rest, ok = cutPrefix(rest, `,`); !ok {
			return m, false
		}
	} else {
		if len(b) == 0 || b[0] != '{' {
			return m, false
		}
		rest = b[1:]
	}
	if rest, ok = cutPrefix(rest, `"stream":`); !ok {
		return m, false
	}
	var stream []byte
	if stream, rest, ok = readString(rest); !ok {
		return m, false
	}
	m.Stream = streamName(stream)
	if rest, ok = cutPrefix(rest, `,"time":"`); !ok {
		return m, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || string(rest[end:]) != `"}` {
		return m, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return m, false
	}
	m.Time = t
	return m, true
}

// streamName interns the two usual stream names.
func streamName(b []byte) string {
	switch string(b) {
	case "stdout":
		return "stdout"
	case "stderr":
		return "stderr"
	}
	return string(b)
}

func cutPrefix(b []byte, p string) ([]byte, bool) {
	if len(b) < len(p) || string(b[:len(p)]) != p {
		return b, false
	}
	return b[len(p):], true
}

// readString reads a JSON string at the start of b and returns its decoded
// bytes (a new slice) and the rest of b.
func readString(b []byte) ([]byte, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, b, false
	}
	b = b[1:]
	end := bytes.IndexAny(b, `"\`)
	if end >= 0 && b[end] == '"' {
		return append([]byte(nil), b[:end]...), b[end+1:], true
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return out, b[i+1:], true
		case c != '\\':
			out = append(out, c)
			i++
			continue
		case i+1 >= len(b):
			return nil, b, false
		}
		var n int
		var ok bool
		if out, n, ok = appendEscape(out, b[i:]); !ok {
			return nil, b, false
		}
		i += n
	}
	return nil, b, false
}

// appendEscape decodes the escape sequence at the start of b (b[0] == '\\')
// and returns how many bytes it used.
func appendEscape(out, b []byte) ([]byte, int, bool) {
	switch b[1] {
	case '"', '\\', '/':
		return append(out, b[1]), 2, true
	case 'n':
		return append(out, '\n'), 2, true
	case 'r':
		return append(out, '\r'), 2, true
	case 't':
		return append(out, '\t'), 2, true
	case 'b':
		return append(out, '\b'), 2, true
	case 'f':
		return append(out, '\f'), 2, true
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return out, 0, false
		}
		if utf16.IsSurrogate(r) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if r2, ok := hex4(b[8:]); ok {
				if c := utf16.DecodeRune(r, r2); c != utf8.RuneError {
					return utf8.AppendRune(out, c), 12, true
				}
			}
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		return utf8.AppendRune(out, r), 6, true
	}
	return out, 0, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(v), err == nil
}

// entryTime extracts the "time" of a json-file line without decoding the
// rest (used when seeking backwards for --since).
func entryTime(line []byte) (time.Time, bool) {
	i := bytes.LastIndex(line, []byte(`"time":"`))
	if i < 0 {
		return time.Time{}, false
	}
	rest := line[i+len(`"time":"`):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	return t, err == nil
}
