package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/config"
	"github.com/berthproject/berth/internal/engine"
	"github.com/berthproject/berth/internal/events"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/registry"
	"github.com/berthproject/berth/internal/runner/shimrunner"
	"github.com/berthproject/berth/internal/server"
	"github.com/berthproject/berth/internal/store"
)

// Run starts berthd with cfg and serves until ctx ends. Containers keep
// running after Run returns: the monitor owns them.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	ctx = logging.WithLogger(ctx, log)
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, d := range []string{cfg.DataRoot, cfg.ExecRoot} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return err
		}
	}
	if err := writePidFile(cfg.PidFile); err != nil {
		return err
	}
	defer os.Remove(cfg.PidFile)

	st, err := store.Open(filepath.Join(cfg.DataRoot, "berth.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	imgs, err := openImages(ctx, cfg.DataRoot)
	if err != nil {
		return err
	}
	defer imgs.Close()
	runtimes, binary, err := runtimes(cfg)
	if err != nil {
		return err
	}
	host, err := hostInfo(cfg.DataRoot, cfg.Debug)
	if err != nil {
		return err
	}
	host.ImageCount = imgs.count
	sec, err := securityDefaults(ctx, cfg)
	if err != nil {
		return err
	}
	host.SecurityOptions = append(host.SecurityOptions, sec.options...)
	userns, err := usernsRemap(cfg.UsernsRemap, hostIDFiles(cfg))
	if err != nil {
		return err
	}
	if userns != nil {
		host.SecurityOptions = append(host.SecurityOptions, "name=userns")
	}
	dist, regConfig, err := registryAccess(cfg, imgs)
	if err != nil {
		return err
	}
	host.Registry = regConfig
	maxSize, maxFile, _ := config.ParseLogOpts(cfg.LogOpts)
	bus := events.New()
	eng, err := engine.New(engine.Options{
		Root:        filepath.Join(cfg.DataRoot, "containers"),
		BundleRoot:  filepath.Join(cfg.ExecRoot, "bundles"),
		RuntimeRoot: filepath.Join(cfg.ExecRoot, "runtime"),
		Runtimes:    runtimes, DefaultRuntime: cfg.DefaultRuntime,
		LogMaxSize: maxSize, LogMaxFiles: maxFile,
		Host: host, Store: st, Events: bus, Images: imgs, Snapshots: imgs.snapshots,
		SeccompProfile: sec.seccomp, NoNewPrivileges: cfg.NoNewPrivileges, Init: cfg.Init, InitPath: sec.initPath,
		Userns: userns,
	})
	if err != nil {
		return err
	}
	r, err := shimrunner.New(ctx, shimrunner.Options{
		Root: filepath.Join(cfg.ExecRoot, "monitor"), Binary: binary, OnExit: eng.HandleExit,
	})
	if err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	defer r.Close()
	if err := eng.Restore(ctx, r); err != nil {
		return fmt.Errorf("restore containers: %w", err)
	}
	srv := server.New(server.Options{
		Logger: log, Version: Version, PanicRoute: os.Getenv("BERTH_TEST_PANIC_ROUTE") == "1",
		System: eng, Events: bus, Containers: eng, Images: engine.NewImages(eng, imgs.store, dist),
	})
	if cfg.RegistryAddr != "" {
		if err := startRegistry(ctx, cfg); err != nil {
			return err
		}
	}
	return serve(ctx, srv, cfg)
}

// startRegistry serves the embedded OCI registry until ctx ends. It shares
// nothing with the engine but the process.
func startRegistry(ctx context.Context, cfg config.Config) error {
	reg, err := registry.New(ctx, registry.Config{Addr: cfg.RegistryAddr,
		Storage: registry.StorageConfig{RootDir: filepath.Join(cfg.DataRoot, "registry")}})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	go func() {
		if err := reg.ListenAndServe(ctx); err != nil {
			logging.From(ctx).Error("registry stopped", logging.Err(err))
		}
	}()
	logging.From(ctx).Info("registry listening", "addr", cfg.RegistryAddr)
	return nil
}

// serve runs the API server on every configured address until ctx ends.
func serve(ctx context.Context, srv *server.Server, cfg config.Config) error {
	errc := make(chan error, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		l, err := listen(h, cfg.Group)
		if err != nil {
			return err
		}
		logging.From(ctx).Info("API listening", "addr", h)
		go func() { errc <- srv.Serve(ctx, l) }()
	}
	var errs []error
	for range cfg.Hosts {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

// runtimes maps runtime names to binaries: "berth" (berth-runtime, also the
// monitor binary), "runc" when installed, and the configured ones.
func runtimes(cfg config.Config) (map[string]string, string, error) {
	bin := cfg.RuntimeBinary
	if bin == "" {
		bin = findBinary("berth-runtime")
	}
	if bin == "" {
		return nil, "", errdefs.Errorf(errdefs.ErrNotFound, "berth-runtime not found next to berthd or in PATH")
	}
	rts := map[string]string{config.DefaultRuntimeName: bin}
	if p, err := exec.LookPath("runc"); err == nil {
		rts["runc"] = p
	}
	for name, rt := range cfg.Runtimes {
		rts[name] = rt.Path
	}
	if _, ok := rts[cfg.DefaultRuntime]; !ok {
		return nil, "", errdefs.Errorf(errdefs.ErrInvalidArgument, "default runtime %q is not available", cfg.DefaultRuntime)
	}
	return rts, bin, nil
}

// findBinary looks for a berth binary next to berthd, then in PATH ("" if
// neither has it).
func findBinary(name string) string {
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), name); isExecutable(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// writePidFile records our pid, refusing to start when a live berthd owns the file.
func writePidFile(path string) error {
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != os.Getpid() {
			if syscall.Kill(pid, 0) == nil && isBerthd(pid) {
				return errdefs.Errorf(errdefs.ErrConflict, "pid file found, ensure berthd is not running or delete %s", path)
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

func isBerthd(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(b)) == "berthd"
}
