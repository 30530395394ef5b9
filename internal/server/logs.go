package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/moby/api/types"
)

// timestampLayout is RFC 3339 with fixed-width nanoseconds, as dockerd
// prefixes log lines with --timestamps.
const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// getContainerLogs answers GET /containers/{name}/logs. Parameters are
// checked before the 200 header: after it, errors can only go in-band.
func (s *Server) getContainerLogs(w http.ResponseWriter, r *http.Request) error {
	opts, err := logsOptions(r)
	if err != nil {
		return err
	}
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	msgs, tty, err := s.opts.Containers.ContainerLogs(ctx, r.PathValue("name"), opts)
	if err != nil {
		return err
	}
	ct := types.MediaTypeRawStream
	if !tty && versionAtLeast(r, "1.42") {
		ct = types.MediaTypeMultiplexedStream
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	copyLogs(ctx, w, msgs, opts, tty, boolValue(r, "timestamps"))
	return nil
}

// copyLogs writes log messages to w (stdcopy-framed without a terminal),
// flushing whenever no message is waiting. Errors go in-band, as dockerd's.
func copyLogs(ctx context.Context, w http.ResponseWriter, msgs <-chan LogMessage, opts LogsOptions, tty, timestamps bool) {
	rc := http.NewResponseController(w)
	stdout, stderr, syserr := io.Writer(w), io.Writer(w), io.Writer(w)
	if !tty {
		stdout, stderr, syserr = newMuxWriters(w)
	}
	for msg := range msgs {
		if msg.Err != nil {
			logging.From(ctx).Warn("reading container logs failed", logging.Err(msg.Err))
			_, _ = fmt.Fprintf(syserr, "Error grabbing logs: %v\n", msg.Err)
			return
		}
		out := stdout
		if msg.Source == "stderr" {
			out = stderr
		}
		if (msg.Source == "stderr" && !opts.ShowStderr) || (msg.Source != "stderr" && !opts.ShowStdout) {
			continue
		}
		line := msg.Line
		if timestamps {
			line = append([]byte(msg.Timestamp.UTC().Format(timestampLayout)+" "), line...)
		}
		if _, err := out.Write(line); err != nil {
			return // the client went away
		}
		if len(msgs) == 0 {
			_ = rc.Flush()
		}
	}
}

// logsOptions decodes and checks the logs parameters.
func logsOptions(r *http.Request) (LogsOptions, error) {
	q := r.URL.Query()
	o := LogsOptions{
		ShowStdout: boolValue(r, "stdout"), ShowStderr: boolValue(r, "stderr"),
		Follow: boolValue(r, "follow"), Details: boolValue(r, "details"), Tail: -1,
	}
	if !o.ShowStdout && !o.ShowStderr {
		return o, invalidf("must specify at least one of 'stdout' or 'stderr'")
	}
	var err error
	if o.Since, err = parseUnixTimestamp(q.Get("since")); err != nil {
		return o, invalidf(`invalid value for "since": %v`, err)
	}
	if v := q.Get("until"); v != "0" {
		if o.Until, err = parseUnixTimestamp(v); err != nil {
			return o, invalidf(`invalid value for "until": %v`, err)
		}
	}
	if n, err := strconv.Atoi(q.Get("tail")); err == nil && n >= 0 {
		o.Tail = n
	}
	return o, nil
}
