package formatter

import (
	"strings"
	"unicode/utf8"
)

// TruncateID returns docker's short form of an ID: without the algorithm
// prefix ("sha256:"), cut to 12 characters.
func TruncateID(id string) string {
	if i := strings.IndexRune(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// Ellipsis cuts s to at most maxWidth runes, ending with "…" when it cut.
// (Docker counts East Asian wide runes as two columns; Berth counts runes.)
func Ellipsis(s string, maxWidth int) string {
	if maxWidth <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= maxWidth {
		return s
	}
	rs := []rune(s)
	if maxWidth == 1 {
		return string(rs[0])
	}
	return string(rs[:maxWidth-1]) + "…"
}
