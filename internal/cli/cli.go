package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/spf13/cobra"
)

// Version is the CLI's version, set at link time with
// -ldflags "-X github.com/berthproject/berth/internal/cli.Version=...".
var Version = "0.1.0-dev"

// GitCommit is the commit the CLI was built from, set at link time.
var GitCommit = "unknown"

// globalOptions are the flags accepted before the command name.
type globalOptions struct {
	hosts     []string
	logLevel  string
	debug     bool
	config    string
	context   string
	tls       bool
	tlsVerify bool
	tlsCACert string
	tlsCert   string
	tlsKey    string
}

// CLI holds the streams and the (lazily created) API client of one run of
// the berth command.
type CLI struct {
	in     *inStream
	out    *outStream
	errOut io.Writer
	opts   globalOptions
	env    func(string) string
	api    *client.Client
}

// Main runs the berth command line with args (without the program name)
// and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signalContext(context.Background())
	defer stop()
	c := &CLI{in: newIn(stdin), out: newOut(stdout), errOut: stderr, env: os.Getenv}
	root := c.newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if c.api != nil {
		_ = c.api.Close()
	}
	return c.exitCode(ctx, err)
}

// exitCode prints err like docker and returns its exit status.
func (c *CLI) exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	var sig signalError
	if errors.As(context.Cause(ctx), &sig) && errdefs.IsCanceled(err) {
		return 128 + int(sig.sig)
	}
	if !errdefs.IsCanceled(err) || errors.As(err, new(StatusError)) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(c.errOut, msg)
		}
	}
	var st StatusError
	if errors.As(err, &st) && st.Code != 0 {
		return st.Code
	}
	return 1
}

// signalError is the cancel cause when SIGINT or SIGTERM ends the CLI.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "terminated by " + e.sig.String() }

// signalContext cancels the context on SIGINT/SIGTERM with the signal as
// the cause, so the exit code can be 128+signal as docker's.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			cancel(signalError{sig: s.(syscall.Signal)})
		case <-ctx.Done():
		}
		signal.Stop(ch)
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// client returns the API client, creating it on first use from the global
// options and the environment.
func (c *CLI) client() (*client.Client, error) {
	if c.api != nil {
		return c.api, nil
	}
	host, err := c.host()
	if err != nil {
		return nil, err
	}
	opts := []client.Option{client.WithUserAgent("berth-cli/" + Version), client.WithVersion(c.env("DOCKER_API_VERSION"))}
	if tlsOpt, err := c.tlsOption(host); err != nil {
		return nil, err
	} else if tlsOpt != nil {
		opts = append(opts, tlsOpt)
	}
	api, err := client.New(host, opts...)
	if err != nil {
		return nil, err
	}
	c.api = api
	return api, nil
}

// host picks the daemon address: -H, DOCKER_HOST, BERTH_HOST, the default.
func (c *CLI) host() (string, error) {
	switch {
	case len(c.opts.hosts) > 1:
		return "", errors.New("specify only one -H")
	case len(c.opts.hosts) == 1:
		return c.opts.hosts[0], nil
	case c.env("DOCKER_HOST") != "":
		return c.env("DOCKER_HOST"), nil
	case c.env("BERTH_HOST") != "":
		return c.env("BERTH_HOST"), nil
	}
	return client.DefaultHost, nil
}

// tlsOption builds TLS settings for tcp hosts from --tls* flags or
// DOCKER_TLS_VERIFY/DOCKER_CERT_PATH.
func (c *CLI) tlsOption(host string) (client.Option, error) {
	verify := c.opts.tlsVerify || c.env("DOCKER_TLS_VERIFY") != ""
	if !(c.opts.tls || verify) || strings.HasPrefix(host, "unix://") {
		return nil, nil
	}
	dir := c.env("DOCKER_CERT_PATH")
	if dir == "" {
		dir = filepath.Join(c.configDir())
	}
	pick := func(flagVal, name string) string {
		if flagVal != "" {
			return flagVal
		}
		return filepath.Join(dir, name)
	}
	cfg, err := client.TLSConfig(pick(c.opts.tlsCACert, "ca.pem"), pick(c.opts.tlsCert, "cert.pem"), pick(c.opts.tlsKey, "key.pem"), verify)
	if err != nil {
		return nil, err
	}
	return client.WithTLSConfig(cfg), nil
}

// configDir is --config, DOCKER_CONFIG, or ~/.docker.
func (c *CLI) configDir() string {
	if c.opts.config != "" {
		return c.opts.config
	}
	if d := c.env("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker")
}

// setupLogging puts a stderr slog logger at --log-level in the context.
func (c *CLI) setupLogging(cmd *cobra.Command) error {
	level := slog.LevelInfo
	switch strings.ToLower(c.opts.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info", "":
	case "warn", "warning":
		level = slog.LevelWarn
	case "error", "fatal", "panic":
		level = slog.LevelError
	default:
		return StatusError{Status: fmt.Sprintf("Unable to parse logging level: %s", c.opts.logLevel), Code: 125}
	}
	if c.opts.debug {
		level = slog.LevelDebug
	}
	l := slog.New(slog.NewTextHandler(c.errOut, &slog.HandlerOptions{Level: level}))
	cmd.SetContext(logging.WithLogger(cmd.Context(), l))
	return nil
}
