// Command berthd is the Berth daemon: it serves the Docker Engine API and
// manages images and containers. Flags follow dockerd's where they apply.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/berthproject/berth/internal/config"
	"github.com/berthproject/berth/internal/daemon"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, configFile, showVersion, err := parseFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berthd:", err)
		return 125
	}
	if showVersion {
		fmt.Printf("Berth version %s\n", daemon.Version)
		return 0
	}
	level := slog.LevelInfo
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "berthd: invalid log level %q\n", cfg.LogLevel)
		return 125
	}
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("starting berthd", "version", daemon.Version, "config", configFile, "data-root", cfg.DataRoot)
	if err := daemon.Run(ctx, cfg, log); err != nil {
		log.Error("berthd failed", "error", err)
		return 1
	}
	log.Info("berthd stopped")
	return 0
}

// parseFlags builds the configuration: defaults, then the config file, then
// the flags given on the command line (which win, as in dockerd).
func parseFlags(args []string) (config.Config, string, bool, error) {
	fs := pflag.NewFlagSet("berthd", pflag.ContinueOnError)
	flags := config.Default()
	var hosts, addRuntimes, logOpts, mirrors, insecure []string
	var configFile, logOptsCSV string
	var version bool
	fs.StringArrayVarP(&hosts, "host", "H", nil, "daemon socket(s) to listen on (unix:///path or tcp://127.0.0.1:port)")
	fs.StringVar(&flags.DataRoot, "data-root", flags.DataRoot, "root directory of persistent state")
	fs.StringVar(&flags.ExecRoot, "exec-root", flags.ExecRoot, "root directory of execution state")
	fs.StringVarP(&flags.PidFile, "pidfile", "p", flags.PidFile, "path of the daemon's pid file")
	fs.StringVarP(&flags.LogLevel, "log-level", "l", flags.LogLevel, "log level (debug, info, warn, error)")
	fs.BoolVarP(&flags.Debug, "debug", "D", false, "enable debug logging")
	fs.StringVar(&configFile, "config-file", config.DefaultConfigFile, "daemon configuration file")
	fs.StringVar(&flags.DefaultRuntime, "default-runtime", flags.DefaultRuntime, "default OCI runtime for containers")
	fs.StringArrayVar(&addRuntimes, "add-runtime", nil, "register an OCI runtime (name=path)")
	fs.StringArrayVar(&logOpts, "log-opt", nil, "default json-file log option (max-size=20m, max-file=3)")
	fs.StringVar(&logOptsCSV, "log-opts", "", "default json-file log options, comma-separated (max-size=20m,max-file=3)")
	fs.StringVarP(&flags.Group, "group", "G", "", "group owning the unix socket (default: docker when it exists)")
	fs.StringVar(&flags.RegistryAddr, "registry-addr", "", "also serve a private OCI registry on this address (e.g. 127.0.0.1:5000)")
	fs.StringVar(&flags.RuntimeBinary, "berth-runtime", "", "path of berth-runtime (default: next to berthd, else PATH)")
	fs.BoolVar(&flags.Init, "init", false, "run an init in every container to forward signals and reap processes")
	fs.StringVar(&flags.InitPath, "init-path", "", "path of the init binary for --init (default: berth-init next to berthd, else PATH)")
	fs.StringVar(&flags.SeccompProfile, "seccomp-profile", "", `default seccomp profile: a JSON file, "unconfined", or "builtin"`)
	fs.BoolVar(&flags.NoNewPrivileges, "no-new-privileges", false, "set no-new-privileges on every container")
	fs.StringVar(&flags.UsernsRemap, "userns-remap", "", `user namespace remapping: "default", USER[:GROUP] or UID[:GID]`)
	fs.StringArrayVar(&mirrors, "registry-mirror", nil, "preferred Docker Hub mirror (http:// or https:// URL)")
	fs.StringArrayVar(&insecure, "insecure-registry", nil, "registry (host[:port] or CIDR) reached without TLS verification")
	fs.IntVar(&flags.MaxConcurrentDownloads, "max-concurrent-downloads", 3, "maximum layers downloaded at once per pull")
	fs.IntVar(&flags.MaxConcurrentUploads, "max-concurrent-uploads", 5, "maximum layers uploaded at once per push")
	fs.BoolVarP(&version, "version", "v", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, "", false, err
	}
	cfg := config.Default()
	if err := cfg.LoadFile(configFile, fs.Changed("config-file")); err != nil {
		return config.Config{}, "", false, err
	}
	applyFlags(fs, &cfg, flags, hosts)
	cfg.RegistryMirrors = append(cfg.RegistryMirrors, mirrors...)
	cfg.InsecureRegistries = append(cfg.InsecureRegistries, insecure...)
	for _, r := range addRuntimes {
		if err := cfg.AddRuntime(r); err != nil {
			return config.Config{}, "", false, err
		}
	}
	if logOptsCSV != "" {
		logOpts = append(logOpts, strings.Split(logOptsCSV, ",")...)
	}
	for _, o := range logOpts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return config.Config{}, "", false, fmt.Errorf("invalid log option %q, expected key=value", o)
		}
		cfg.LogOpts[k] = v
	}
	return cfg, configFile, version, nil
}

// applyFlags copies the flags set on the command line over the file's values.
func applyFlags(fs *pflag.FlagSet, cfg *config.Config, flags config.Config, hosts []string) {
	if len(hosts) > 0 {
		cfg.Hosts = hosts
	}
	set := map[string]func(){
		"data-root":                func() { cfg.DataRoot = flags.DataRoot },
		"exec-root":                func() { cfg.ExecRoot = flags.ExecRoot },
		"pidfile":                  func() { cfg.PidFile = flags.PidFile },
		"log-level":                func() { cfg.LogLevel = flags.LogLevel },
		"debug":                    func() { cfg.Debug = flags.Debug },
		"default-runtime":          func() { cfg.DefaultRuntime = flags.DefaultRuntime },
		"group":                    func() { cfg.Group = flags.Group },
		"berth-runtime":            func() { cfg.RuntimeBinary = flags.RuntimeBinary },
		"registry-addr":            func() { cfg.RegistryAddr = flags.RegistryAddr },
		"max-concurrent-downloads": func() { cfg.MaxConcurrentDownloads = flags.MaxConcurrentDownloads },
		"max-concurrent-uploads":   func() { cfg.MaxConcurrentUploads = flags.MaxConcurrentUploads },
		"init":                     func() { cfg.Init = flags.Init },
		"init-path":                func() { cfg.InitPath = flags.InitPath },
		"seccomp-profile":          func() { cfg.SeccompProfile = flags.SeccompProfile },
		"no-new-privileges":        func() { cfg.NoNewPrivileges = flags.NoNewPrivileges },
		"userns-remap":             func() { cfg.UsernsRemap = flags.UsernsRemap },
	}
	for name, apply := range set {
		if fs.Changed(name) {
			apply()
		}
	}
	if cfg.LogOpts == nil {
		cfg.LogOpts = map[string]string{}
	}
}
