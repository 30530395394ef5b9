package ociruntime

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	_ "github.com/berthproject/berth/internal/ociruntime/nsenter" // pre-Go-runtime setns for init re-execs
	"golang.org/x/sys/unix"
)

// Version is the berth-runtime version reported by `--version`.
const Version = "0.1.0"

// DefaultRoot is the default state directory (--root).
const DefaultRoot = "/run/berth-runtime"

// globals are the flags that come before the verb.
type globals struct {
	root  string
	debug bool
}

type verb func(ctx context.Context, g *globals, args []string) error

var verbs map[string]verb

func init() {
	verbs = map[string]verb{
		"create": cmdCreate, "start": cmdStart, "state": cmdState, "kill": cmdKill,
		"delete": cmdDelete, "run": cmdRun, "exec": cmdExec, "list": cmdList, "ps": cmdPs,
		"pause": cmdPause, "resume": cmdResume, "version": cmdVersion, "update": cmdUpdate, "events": cmdEvents,
	}
}

// exitError carries the exit code of a container process through `run` and
// `exec` without being reported as an error.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs the OCI runtime CLI with os.Args and returns the exit code: 0 on
// success, 1 on an error (one line on stderr and in --log), and for `run` and
// `exec` without --detach the container process's own exit code.
func Main(args []string) int {
	if len(args) > 1 && args[1] == "init" {
		return initMain()
	}
	fs := flag.NewFlagSet("berth-runtime", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g := &globals{}
	fs.StringVar(&g.root, "root", DefaultRoot, "state directory")
	logFile := fs.String("log", "", "log file")
	logFormat := fs.String("log-format", "text", "text or json")
	fs.BoolVar(&g.debug, "debug", false, "debug logging")
	systemd := fs.Bool("systemd-cgroup", false, "use systemd cgroups (not supported)")
	version := fs.Bool("version", false, "print the version")
	fs.Bool("v", false, "print the version")
	if err := fs.Parse(args[1:]); err != nil {
		return fail(nil, "", fmt.Errorf("global flags: %w", err))
	}
	logger, closeLog, err := newLogger(*logFile, *logFormat, g.debug)
	if err != nil {
		return fail(nil, "", err)
	}
	defer closeLog()
	ctx := logging.WithLogger(context.Background(), logger)
	rest := fs.Args()
	if *version || fs.Lookup("v").Value.String() == "true" {
		rest = []string{"version"}
	}
	if len(rest) == 0 {
		return fail(logger, "", fmt.Errorf("no command given (want one of create, start, state, kill, delete, run, exec, list, ps, pause, resume, update, events): %w", errdefs.ErrInvalidArgument))
	}
	v, ok := verbs[rest[0]]
	if !ok {
		return fail(logger, "", fmt.Errorf("unknown command %q: %w", rest[0], errdefs.ErrInvalidArgument))
	}
	if *systemd {
		return fail(logger, rest[0], fmt.Errorf("--systemd-cgroup: %w: berth-runtime only drives cgroupfs", errdefs.ErrNotImplemented))
	}
	if err := v(ctx, g, rest[1:]); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return fail(logger, rest[0], err)
	}
	return 0
}

// fail reports err as one line on stderr and in the log, and returns 1.
func fail(logger *slog.Logger, verb string, err error) int {
	msg := err.Error()
	if verb != "" {
		msg = verb + ": " + msg
	}
	fmt.Fprintln(os.Stderr, "berth-runtime: "+msg)
	if logger != nil {
		logger.Error(msg)
	}
	return 1
}

// warn reports a problem that does not fail the command, as runc does:
// one line on stderr and a warning in --log.
func warn(ctx context.Context, err error) {
	fmt.Fprintln(os.Stderr, "berth-runtime: warning: "+err.Error())
	logging.From(ctx).Warn(err.Error())
}

// newLogger builds the --log handler. Levels are lower-case ("error") as in
// runc's JSON log, which callers parse.
func newLogger(path, format string, debug bool) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case slog.LevelKey:
			a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
		case slog.TimeKey:
			a.Value = slog.StringValue(a.Value.Time().Format(time.RFC3339Nano))
		}
		return a
	}}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(f, opts)
	case "text", "":
		h = slog.NewTextHandler(f, opts)
	default:
		f.Close()
		return nil, nil, fmt.Errorf("--log-format %q: %w (want text or json)", format, errdefs.ErrInvalidArgument)
	}
	return slog.New(h), func() { f.Close() }, nil
}

func cmdVersion(_ context.Context, _ *globals, _ []string) error {
	fmt.Printf("berth-runtime version %s\nspec: 1.3.0\n", Version)
	return nil
}

// newFlags returns a flag set for a verb; errors are returned, not printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// oneID checks that exactly one container ID is left after the flags.
func oneID(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		return "", fmt.Errorf("want exactly one container id, got %d arguments: %w", fs.NArg(), errdefs.ErrInvalidArgument)
	}
	return fs.Arg(0), nil
}

// stringList is a repeatable string flag (-e K=V -e K2=V2).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
