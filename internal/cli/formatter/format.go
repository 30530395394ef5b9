package formatter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// Format keys understood by every list command.
const (
	TableKey     = "table"
	RawKey       = "raw"
	JSONKey      = "json"
	QuietFormat  = "{{.ID}}"
	JSONTemplate = "{{json .}}"
)

// Format is a --format value: "table ...", "json", "raw" or a template.
type Format string

// IsTable reports whether the format starts with "table".
func (f Format) IsTable() bool { return strings.HasPrefix(string(f), TableKey) }

// IsJSON reports whether the format is the "json" shortcut.
func (f Format) IsJSON() bool { return string(f) == JSONKey }

// Contains reports whether the format mentions sub.
func (f Format) Contains(sub string) bool { return strings.Contains(string(f), sub) }

// SubContext is one row: a value whose methods the template calls, able to
// give the header row.
type SubContext interface {
	FullHeader() any
}

// HeaderContext holds the header of a row type.
type HeaderContext struct {
	Header any
}

// FullHeader returns the header row values.
func (c *HeaderContext) FullHeader() any { return c.Header }

// SubHeaderContext maps field names to header titles; `{{.Label "x"}}`
// headers print the label name.
type SubHeaderContext map[string]string

// Label returns the header for `{{.Label "com.example.name"}}`: the last
// dotted part with - and _ as spaces.
func (SubHeaderContext) Label(name string) string {
	n := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(n[len(n)-1])
}

// Context renders rows to Output in Format; Trunc shortens IDs and long
// fields like docker's default (no --no-trunc).
type Context struct {
	Output io.Writer
	Format Format
	Trunc  bool
}

// Write parses the format, renders every row produced by rows, and writes
// the result (with a header and aligned columns for tables).
func (c Context) Write(header SubContext, rows func(emit func(SubContext) error) error) error {
	final := string(c.Format)
	switch {
	case c.Format.IsTable():
		final = final[len(TableKey):]
	case c.Format.IsJSON():
		final = JSONTemplate
	}
	final = strings.Trim(final, " ")
	final = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(final)
	tmpl, err := Parse(final)
	if err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	var buf bytes.Buffer
	err = rows(func(row SubContext) error {
		if err := tmpl.Execute(&buf, row); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
		buf.WriteString("\n")
		return nil
	})
	if err != nil {
		return err
	}
	if !c.Format.IsTable() {
		_, err = buf.WriteTo(c.Output)
		return err
	}
	tw := tabwriter.NewWriter(c.Output, 10, 1, 3, ' ', 0)
	var head bytes.Buffer
	_ = tmpl.Funcs(headerFuncs).Execute(&head, header.FullHeader())
	_, _ = head.WriteTo(tw)
	_, _ = tw.Write([]byte("\n"))
	_, _ = buf.WriteTo(tw)
	return tw.Flush()
}

// MarshalJSON renders a row as a JSON object of its exported zero-argument
// single-result methods, which is what `{{json .}}` prints in docker.
func MarshalJSON(x any) ([]byte, error) {
	v := reflect.ValueOf(x)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("expected a pointer to a struct, got %v", v.Kind())
	}
	t := v.Type()
	m := make(map[string]any)
	for i := range v.NumMethod() {
		meth := t.Method(i)
		fn := v.Method(i)
		r, _ := utf8.DecodeRuneInString(meth.Name)
		if !unicode.IsUpper(r) || meth.Name == "FullHeader" || fn.Type().NumIn() != 0 || fn.Type().NumOut() != 1 {
			continue
		}
		m[meth.Name] = fn.Call(nil)[0].Interface()
	}
	return json.Marshal(m)
}
