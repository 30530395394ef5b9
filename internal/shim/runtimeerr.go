package shim

import (
	"bytes"
	"strconv"
)

// runtimeMessage extracts the error message from an OCI runtime's stderr.
// runc logs through logrus: `time="..." level=error msg="runc create failed:
// ..."`; the msg of the last error line is the message. Other runtimes'
// plain text is kept, trimmed.
func runtimeMessage(stderr []byte) string {
	lines := bytes.Split(bytes.TrimSpace(stderr), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if !bytes.Contains(l, []byte("level=error")) && !bytes.Contains(l, []byte("level=fatal")) {
			continue
		}
		if msg, ok := logfmtValue(l, "msg"); ok {
			return msg
		}
	}
	return string(bytes.TrimSpace(stderr))
}

// logfmtValue returns the (unquoted) value of key in a logfmt line.
func logfmtValue(line []byte, key string) (string, bool) {
	i := bytes.Index(line, []byte(key+"="))
	if i < 0 || (i > 0 && line[i-1] != ' ') {
		return "", false
	}
	v := line[i+len(key)+1:]
	if len(v) == 0 || v[0] != '"' {
		if j := bytes.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		return string(v), true
	}
	// A Go-quoted string: find its closing quote.
	for j := 1; j < len(v); j++ {
		switch v[j] {
		case '\\':
			j++
		case '"':
			s, err := strconv.Unquote(string(v[:j+1]))
			return s, err == nil
		}
	}
	return "", false
}
