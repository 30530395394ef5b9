package image

import (
	"fmt"
	"strings"
)

// splitWords splits s into words on unquoted whitespace, removing quotes
// and backslash escapes and (when expand) substituting $VAR, ${VAR},
// ${VAR:-default} and ${VAR:+alternative} from env ("K=V" entries), like
// the Dockerfile shell-word rules.
func splitWords(s string, env []string, expand bool) ([]string, error) {
	l := &lexer{src: []rune(s), env: env, expand: expand}
	var words []string
	for {
		w, ok, err := l.word(true)
		if err != nil {
			return nil, err
		}
		if !ok {
			return words, nil
		}
		words = append(words, w)
	}
}

// processWord processes s as one word: quotes, escapes and expansion, but
// whitespace is kept.
func processWord(s string, env []string) (string, error) {
	l := &lexer{src: []rune(s), env: env, expand: true}
	w, _, err := l.word(false)
	return w, err
}

type lexer struct {
	src    []rune
	pos    int
	env    []string
	expand bool
}

func (l *lexer) peek() (rune, bool) {
	if l.pos >= len(l.src) {
		return 0, false
	}
	return l.src[l.pos], true
}

// word reads the next word; split stops it at unquoted whitespace.
func (l *lexer) word(split bool) (string, bool, error) {
	for split && l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.src) {
		return "", false, nil
	}
	var b strings.Builder
	for l.pos < len(l.src) {
		r := l.src[l.pos]
		switch {
		case split && isSpace(r):
			return b.String(), true, nil
		case r == '\'':
			l.pos++
			end := indexRune(l.src[l.pos:], '\'')
			if end < 0 {
				return "", false, fmt.Errorf("unexpected end of statement while looking for matching single-quote")
			}
			b.WriteString(string(l.src[l.pos : l.pos+end]))
			l.pos += end + 1
		case r == '"':
			l.pos++
			if err := l.doubleQuoted(&b); err != nil {
				return "", false, err
			}
		case r == '\\':
			l.pos++
			if c, ok := l.peek(); ok {
				b.WriteRune(c)
				l.pos++
			}
		case r == '$' && l.expand:
			l.pos++
			v, err := l.variable()
			if err != nil {
				return "", false, err
			}
			b.WriteString(v)
		default:
			b.WriteRune(r)
			l.pos++
		}
	}
	return b.String(), true, nil
}

func (l *lexer) doubleQuoted(b *strings.Builder) error {
	for l.pos < len(l.src) {
		r := l.src[l.pos]
		switch {
		case r == '"':
			l.pos++
			return nil
		case r == '\\' && l.pos+1 < len(l.src) && strings.ContainsRune(`"\$`, l.src[l.pos+1]):
			b.WriteRune(l.src[l.pos+1])
			l.pos += 2
		case r == '$' && l.expand:
			l.pos++
			v, err := l.variable()
			if err != nil {
				return err
			}
			b.WriteString(v)
		default:
			b.WriteRune(r)
			l.pos++
		}
	}
	return fmt.Errorf("unexpected end of statement while looking for matching double-quote")
}

// variable reads what follows a '$'.
func (l *lexer) variable() (string, error) {
	c, ok := l.peek()
	if !ok {
		return "$", nil
	}
	if c != '{' {
		start := l.pos
		for l.pos < len(l.src) && isNameRune(l.src[l.pos]) {
			l.pos++
		}
		if l.pos == start {
			return "$", nil
		}
		return l.lookup(string(l.src[start:l.pos])), nil
	}
	end := indexRune(l.src[l.pos:], '}')
	if end < 0 {
		return "", fmt.Errorf("missing '}' in variable substitution")
	}
	expr := string(l.src[l.pos+1 : l.pos+end])
	l.pos += end + 1
	name, word, op := expr, "", ""
	if i := strings.Index(expr, ":"); i >= 0 && i+1 < len(expr) {
		name, op, word = expr[:i], expr[i:i+2], expr[i+2:]
	}
	v := l.lookup(name)
	switch op {
	case ":-":
		if v == "" {
			return processWord(word, l.env)
		}
	case ":+":
		if v != "" {
			return processWord(word, l.env)
		}
		return "", nil
	case "":
	default:
		return "", fmt.Errorf("unsupported modifier (%s) in substitution", op)
	}
	return v, nil
}

func (l *lexer) lookup(name string) string {
	for i := len(l.env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(l.env[i], "="); k == name {
			return v
		}
	}
	return ""
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }

func isNameRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func indexRune(rs []rune, r rune) int {
	for i, c := range rs {
		if c == r {
			return i
		}
	}
	return -1
}
