package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/spf13/cobra"
)

// getRef fetches one object: its decoded form and the daemon's raw JSON.
type getRef func(ctx context.Context, api *client.Client, ref string) (any, []byte, error)

// inspectKinds are the object types `inspect` tries, in docker's order
// (swarm objects and plugins are not served by berthd).
var inspectKinds = []struct {
	name string
	size bool
	get  getRef
}{
	{"container", true, func(ctx context.Context, api *client.Client, ref string) (any, []byte, error) {
		return api.ContainerInspect(ctx, ref, ctx.Value(sizeKey{}) == true)
	}},
	{"image", false, func(ctx context.Context, api *client.Client, ref string) (any, []byte, error) {
		return api.ImageInspect(ctx, ref)
	}},
	{"network", false, func(ctx context.Context, api *client.Client, ref string) (any, []byte, error) {
		return api.NetworkInspect(ctx, ref)
	}},
	{"volume", false, func(ctx context.Context, api *client.Client, ref string) (any, []byte, error) {
		return api.VolumeInspect(ctx, ref)
	}},
}

type sizeKey struct{}

// newInspectCommand is the top-level `inspect` (any object type).
func (c *CLI) newInspectCommand() *cobra.Command {
	var typ, format string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.inspect(cmd.Context(), typ, format, size, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&format, "format", "f", "", inspectFormatHelp)
	fs.StringVar(&typ, "type", "", "Only inspect objects of the given type")
	fs.BoolVarP(&size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

const inspectFormatHelp = "Format output using a custom template:\n'json':             Print in JSON format\n" +
	"'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"

// newTypedInspectCommand is `container inspect` / `image inspect`.
func (c *CLI) newTypedInspectCommand(typ string) *cobra.Command {
	var format string
	var size bool
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] " + strings.ToUpper(typ) + " [" + strings.ToUpper(typ) + "...]",
		Short: "Display detailed information on one or more " + typ + "s",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.inspect(cmd.Context(), typ, format, size, args)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	if typ == "container" {
		cmd.Flags().BoolVarP(&size, "size", "s", false, "Display total file sizes")
	}
	return cmd
}

func (c *CLI) inspect(ctx context.Context, typ, format string, size bool, refs []string) error {
	known := typ == ""
	for _, k := range inspectKinds {
		known = known || k.name == typ
	}
	if !known {
		return fmt.Errorf(`unknown type: %q: must be one of "config", "container", "image", "network", "node", "plugin", "secret", "service", "task", "volume"`, typ)
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	ctx = context.WithValue(ctx, sizeKey{}, size)
	return runInspect(c.out, refs, format, func(ref string) (any, []byte, error) {
		for _, k := range inspectKinds {
			if typ != "" && k.name != typ {
				continue
			}
			v, raw, err := k.get(ctx, api, ref)
			if err != nil {
				if typ == "" && (errdefs.IsNotFound(err) || strings.Contains(err.Error(), "invalid reference format")) {
					continue
				}
				return nil, nil, err
			}
			if size && !k.size {
				fmt.Fprintln(c.errOut, "WARNING: --size ignored for", k.name)
			}
			return v, raw, nil
		}
		return nil, nil, fmt.Errorf("Error: No such object: %s", ref) //nolint:staticcheck // docker's message
	})
}

// runInspect prints objects like docker's inspect: an indented JSON array of
// the daemon's raw objects, compact JSON for "json", or a template per
// object (falling back to the raw JSON map for fields the typed value lacks).
func runInspect(out io.Writer, refs []string, format string, get func(string) (any, []byte, error)) error {
	var tmpl *template.Template
	if format != "" && format != "json" {
		t, err := formatter.Parse(format)
		if err != nil {
			return StatusError{Code: 64, Status: "template parsing error: " + err.Error()}
		}
		tmpl = t
	}
	var raws [][]byte
	var buf bytes.Buffer
	var errs []error
	for _, ref := range refs {
		v, raw, err := get(ref)
		if err == nil && tmpl != nil {
			err = executeInspect(&buf, tmpl, v, raw)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		raws = append(raws, raw)
	}
	if tmpl != nil {
		if buf.Len() == 0 {
			buf.WriteString("\n")
		}
		_, _ = buf.WriteTo(out)
	} else if err := writeRawArray(out, raws, format == "json"); err != nil {
		return err
	}
	return joinErrors(errs)
}

func executeInspect(buf *bytes.Buffer, tmpl *template.Template, v any, raw []byte) error {
	var one bytes.Buffer
	if err := tmpl.Execute(&one, v); err != nil {
		var m any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if derr := dec.Decode(&m); derr != nil {
			return fmt.Errorf("unable to read inspect data: %w", derr)
		}
		one.Reset()
		if err := tmpl.Option("missingkey=error").Execute(&one, m); err != nil {
			return fmt.Errorf("template parsing error: %w", err)
		}
	}
	buf.Write(one.Bytes())
	buf.WriteByte('\n')
	return nil
}

func writeRawArray(out io.Writer, raws [][]byte, compact bool) error {
	if len(raws) == 0 {
		_, err := io.WriteString(out, "[]\n")
		return err
	}
	joined := append([]byte("["), bytes.Join(raws, []byte(","))...)
	joined = append(joined, ']')
	var dst bytes.Buffer
	var err error
	if compact {
		err = json.Compact(&dst, joined)
	} else {
		err = json.Indent(&dst, joined, "", "    ")
	}
	if err != nil {
		return err
	}
	dst.WriteByte('\n')
	_, err = dst.WriteTo(out)
	return err
}
