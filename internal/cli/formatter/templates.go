package formatter

import (
	"bytes"
	"encoding/json"
	"strings"
	"text/template"
)

// funcs are docker's template functions (docker/cli templates package).
var funcs = template.FuncMap{
	"json":     jsonString,
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    title,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      pad,
	"truncate": truncate,
}

// headerFuncs replace the functions while rendering a table header, so
// `{{upper .Names}}` prints the plain header "NAMES".
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v string, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

// New returns an empty template with docker's functions.
func New(name string) *template.Template { return template.New(name).Funcs(funcs) }

// Parse parses a --format template with docker's functions.
func Parse(format string) (*template.Template, error) { return New("").Parse(format) }

func jsonString(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSpace(buf.String())
}

// title upper-cases the first letter of each space-separated word (ASCII),
// what strings.Title did for docker's templates.
func title(s string) string {
	b := []byte(s)
	start := true
	for i, ch := range b {
		if start && ch >= 'a' && ch <= 'z' {
			b[i] = ch - 'a' + 'A'
		}
		start = ch == ' ' || ch == '\t' || ch == '\n' || ch == '-' || ch == '_'
	}
	return string(b)
}

func pad(s string, prefix, suffix int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
}

func truncate(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}
