// Package logfile is Berth's json-file log driver: the on-disk format dockerd
// writes for `--log-driver json-file` (one JSON object per line,
// {"log":"hello\n","stream":"stdout","time":"2026-12-01T21:28:36.123456789Z"}),
// its rotation (file, file.1, file.2 ... like docker's max-size/max-file) and
// the reader behind `docker logs` (--tail, --since, --until, --follow).
//
// Place in the run flow: the container monitor (internal/shim) owns a Writer
// per container and feeds it the container's stdout/stderr through Stream
// (which splits bytes into messages exactly like dockerd's copier: at '\n', at
// most MaxMessage bytes each, a final chunk without newline when the stream
// ends). The engine reads logs with Read.
//
// Read seeks from the end of the newest file (reading backwards in blocks)
// for --tail and --since, so `logs --tail 10` of a 200 MB file reads a few
// kilobytes. Follow mode wakes on inotify events (a short poll elsewhere, and
// as a safety net) and survives rotation.
//
// The JSON encoder and the line decoder are hand-written rather than
// encoding/json: the writer must reproduce dockerd's bytes exactly (it
// escapes <, >, & and control characters like encoding/json's HTML mode but
// keeps \n and \r short) without reflection in the monitor's hot path, and the
// reader decodes docker's fixed three-field objects several times faster; it
// falls back to encoding/json for anything else.
//
// It imports only the standard library and x/sys/unix.
package logfile
