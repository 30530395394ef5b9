package remote

import (
	"net/http"
	"strings"
)

// challenge is one WWW-Authenticate challenge: a scheme ("bearer",
// "basic") and its parameters (realm, service, scope, error).
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges reads the WWW-Authenticate headers of a response
// (RFC 7235: scheme, then comma-separated key=value or key="value").
func parseChallenges(h http.Header) []challenge {
	var out []challenge
	for _, v := range h.Values("WWW-Authenticate") {
		for {
			v = strings.TrimLeft(v, " ,")
			var scheme string
			scheme, v = cutToken(v)
			if scheme == "" {
				break
			}
			c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
			v = c.readParams(v)
			out = append(out, c)
		}
	}
	return out
}

// readParams consumes key=value pairs up to the next scheme and returns
// the rest of the header.
func (c *challenge) readParams(v string) string {
	for {
		rest := strings.TrimLeft(v, " ,")
		key, after := cutToken(rest)
		after = strings.TrimLeft(after, " ")
		if key == "" || !strings.HasPrefix(after, "=") {
			return rest // a new scheme, or the end
		}
		after = strings.TrimLeft(after[1:], " ")
		var val string
		if strings.HasPrefix(after, `"`) {
			val, after = cutQuoted(after[1:])
		} else {
			val, after = cutToken(after)
		}
		c.params[strings.ToLower(key)] = val
		v = after
	}
}

// cutToken splits a token (up to a space, comma or '=') off s.
func cutToken(s string) (string, string) {
	i := strings.IndexAny(s, " ,=")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// cutQuoted reads a quoted string whose opening quote is already consumed.
func cutQuoted(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}

// pick returns the challenge to answer: bearer is preferred over basic.
func pick(cs []challenge) (challenge, bool) {
	for _, scheme := range []string{"bearer", "basic"} {
		for _, c := range cs {
			if c.scheme == scheme {
				return c, true
			}
		}
	}
	return challenge{}, false
}
