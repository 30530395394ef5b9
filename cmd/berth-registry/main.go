// Command berth-registry is a standalone OCI distribution server
// (internal/registry): `berth-registry serve` runs it, `berth-registry
// garbage-collect` reclaims unreferenced storage (run it with the registry
// stopped or read-only; it refuses while a read-write registry holds the
// storage lock).
//
//	berth-registry serve --root /var/lib/berth-registry --addr 0.0.0.0:5000 \
//	    --tls-cert cert.pem --tls-key key.pem --htpasswd users.htpasswd
//	berth-registry serve --config /etc/berth-registry.json
//	berth-registry garbage-collect --delete-untagged --config /etc/berth-registry.json
//
// The configuration file is JSON (internal/registry.Config); flags override
// it. A token-authenticated registry with its own token issuer and metrics:
//
//	{
//	  "addr": "0.0.0.0:5000",
//	  "storage": {"rootDir": "/var/lib/berth-registry"},
//	  "tls": {"certFile": "/etc/berth/cert.pem", "keyFile": "/etc/berth/key.pem"},
//	  "auth": {"token": {"service": "registry.example", "issuer": "registry.example",
//	           "issue": {"htpasswd": "/etc/berth/users.htpasswd", "expiry": "5m"}}},
//	  "metricsAddr": "127.0.0.1:5001",
//	  "log": {"format": "json"},
//	  "uploadMaxAge": "24h"
//	}
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/registry"
	"github.com/berthproject/berth/internal/registry/storage"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "berth-registry:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth-registry",
		Short:         "An OCI distribution registry",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCommand(), gcCommand())
	return root
}

// flags are the settings common to both commands; set flags override the
// config file.
type flags struct {
	config, addr, root, storageDriver, tlsCert, tlsKey, htpasswd, metricsAddr string
	logLevel, logFormat                                                       string
	readOnly, noSync, noDelete, noAccessLog                                   bool
}

func (f *flags) register(cmd *cobra.Command, serve bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.config, "config", "", "JSON configuration file")
	fs.StringVar(&f.root, "root", "", "storage root directory (storage.rootDir)")
	fs.StringVar(&f.storageDriver, "storage", "", "storage driver: filesystem or inmemory")
	fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "", "log format: text or json")
	if !serve {
		return
	}
	fs.StringVar(&f.addr, "addr", "", "listen address (default 127.0.0.1:5000)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate (PEM)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&f.htpasswd, "htpasswd", "", "htpasswd file (bcrypt) for basic authentication")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "address for Prometheus metrics (/metrics)")
	fs.BoolVar(&f.readOnly, "read-only", false, "refuse all writes")
	fs.BoolVar(&f.noSync, "no-sync", false, "do not fsync (faster, not power-loss safe)")
	fs.BoolVar(&f.noDelete, "no-delete", false, "refuse deletes of manifests, tags and blobs")
	fs.BoolVar(&f.noAccessLog, "no-access-log", false, "do not log every request")
}

// load reads the config file, then applies the flags that were set.
func (f *flags) load(cmd *cobra.Command) (registry.Config, error) {
	var c registry.Config
	if f.config != "" {
		var err error
		if c, err = registry.LoadConfig(f.config); err != nil {
			return c, err
		}
	}
	set := func(name string, apply func()) {
		if cmd.Flags().Changed(name) {
			apply()
		}
	}
	set("addr", func() { c.Addr = f.addr })
	set("root", func() { c.Storage.RootDir = f.root })
	set("storage", func() { c.Storage.Driver = f.storageDriver })
	set("no-sync", func() { c.Storage.NoSync = f.noSync })
	set("tls-cert", func() { c.TLS.CertFile = f.tlsCert })
	set("tls-key", func() { c.TLS.KeyFile = f.tlsKey })
	set("htpasswd", func() { c.Auth.Htpasswd = &registry.HtpasswdConfig{Path: f.htpasswd} })
	set("metrics-addr", func() { c.MetricsAddr = f.metricsAddr })
	set("read-only", func() { c.ReadOnly = f.readOnly })
	set("no-delete", func() { c.NoDelete = f.noDelete })
	set("no-access-log", func() { c.Log.NoAccessLog = f.noAccessLog })
	set("log-level", func() { c.Log.Level = f.logLevel })
	set("log-format", func() { c.Log.Format = f.logFormat })
	return c, nil
}

// logger builds the process's logger from the log settings.
func logger(c registry.LogConfig) (*slog.Logger, error) {
	var lvl slog.Level
	if c.Level != "" {
		if err := lvl.UnmarshalText([]byte(c.Level)); err != nil {
			return nil, fmt.Errorf("log level %q: %w", c.Level, err)
		}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(c.Format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.Format)
}

// setup loads the configuration and returns a context carrying the logger.
func (f *flags) setup(cmd *cobra.Command) (context.Context, registry.Config, error) {
	c, err := f.load(cmd)
	if err != nil {
		return nil, c, err
	}
	l, err := logger(c.Log)
	if err != nil {
		return nil, c, err
	}
	return logging.WithLogger(cmd.Context(), l), c, nil
}

func serveCommand() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [flags]",
		Short: "Serve the registry until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, c, err := f.setup(cmd)
			if err != nil {
				return err
			}
			reg, err := registry.New(ctx, c)
			if err != nil {
				return err
			}
			return reg.ListenAndServe(ctx)
		},
	}
	f.register(cmd, true)
	return cmd
}

func gcCommand() *cobra.Command {
	var f flags
	var opts storage.GCOptions
	cmd := &cobra.Command{
		Use:   "garbage-collect [--dry-run] [--delete-untagged] --config FILE",
		Short: "Delete blobs no manifest references (the registry must be stopped or read-only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, c, err := f.setup(cmd)
			if err != nil {
				return err
			}
			c.Log.NoAccessLog = true
			reg, err := registry.New(ctx, c)
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := reg.GarbageCollect(ctx, opts)
			if err != nil {
				return err
			}
			verb := "deleted"
			if opts.DryRun {
				verb = "would delete"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d repositories, %d blobs kept; %s %d manifests, %d blobs (%d bytes), %d links, %d uploads, %d temp files in %s\n",
				rep.Repositories, rep.BlobsKept, verb, rep.ManifestsDeleted, rep.BlobsDeleted, rep.BytesFreed,
				rep.LinksDeleted, rep.UploadsDeleted, rep.TempFilesDeleted, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would be deleted, delete nothing")
	cmd.Flags().BoolVar(&opts.DeleteUntagged, "delete-untagged", false, "also delete manifests no tag reaches")
	cmd.Flags().DurationVar(&opts.UploadMaxAge, "upload-max-age", time.Hour, "delete uploads idle at least this long")
	return cmd
}
