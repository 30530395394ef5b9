package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/spf13/cobra"
)

func (c *CLI) newEventsCommand() *cobra.Command {
	var since, until, format string
	var filter filterOpt
	cmd := &cobra.Command{
		Use:     "events [OPTIONS]",
		Short:   "Get real time events from the server",
		Args:    noArgs,
		Aliases: []string{},
		RunE: func(cmd *cobra.Command, _ []string) error {
			tmpl, err := eventTemplate(format)
			if err != nil {
				return StatusError{Code: 64, Status: "Error parsing format: " + err.Error()}
			}
			o := client.EventsOptions{Filters: filter.values}
			now := time.Now()
			if since != "" {
				if o.Since, err = client.Timestamp(since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if o.Until, err = client.Timestamp(until, now); err != nil {
					return err
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.streamEvents(cmd.Context(), api, o, tmpl)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&since, "since", "", "Show all events created since timestamp")
	fs.StringVar(&until, "until", "", "Stream events until this timestamp")
	fs.VarP(&filter, "filter", "f", "Filter output based on conditions provided")
	fs.StringVar(&format, "format", "", inspectFormatHelp)
	return cmd
}

func (c *CLI) streamEvents(ctx context.Context, api *client.Client, o client.EventsOptions, tmpl *template.Template) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs, errC := api.Events(ctx, o)
	for {
		select {
		case m := <-msgs:
			if tmpl == nil {
				printEvent(c.out, m)
				continue
			}
			err := tmpl.Execute(c.out, m)
			fmt.Fprintln(c.out)
			if err != nil {
				return err
			}
		case err := <-errC:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func eventTemplate(format string) (*template.Template, error) {
	switch format {
	case "":
		return nil, nil
	case "json":
		format = "{{json .}}"
	}
	tmpl, err := formatter.Parse(format)
	if err != nil {
		return nil, err
	}
	return tmpl, tmpl.Execute(io.Discard, &client.Event{})
}

// printEvent is docker's default event line:
// "2006-01-02T15:04:05.000000000Z07:00 type action id (k=v, ...)".
func printEvent(out io.Writer, e client.Event) {
	const layout = "2006-01-02T15:04:05.000000000Z07:00"
	var b strings.Builder
	if e.TimeNano != 0 {
		b.WriteString(time.Unix(0, e.TimeNano).Format(layout) + " ")
	} else if e.Time != 0 {
		b.WriteString(time.Unix(e.Time, 0).Format(layout) + " ")
	}
	fmt.Fprintf(&b, "%s %s %s", e.Type, e.Action, e.Actor.ID)
	if len(e.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(e.Actor.Attributes))
		for k := range e.Actor.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]string, len(keys))
		for i, k := range keys {
			attrs[i] = k + "=" + e.Actor.Attributes[k]
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(attrs, ", "))
	}
	b.WriteString("\n")
	_, _ = io.WriteString(out, b.String())
}
