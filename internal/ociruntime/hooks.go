package ociruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md
// "Lifecycle"). Who runs which, and what a failure does:
//
//	hook             run by                 when                              on failure
//	prestart         create (runtime ns)    init's mounts done, before pivot  create fails; container destroyed, poststop run
//	createRuntime    create (runtime ns)    right after prestart              same
//	createContainer  init (container ns)    after createRuntime, before pivot same
//	startContainer   init (container ns)    start called, before execve       start fails; init exits (container stopped)
//	poststart        start (runtime ns)     after the execve, before return   start fails; container killed
//	poststop         delete (runtime ns)    after the container is destroyed  warning only; the next hooks still run
//
// Each hook gets the container's state (runtime.md "State") as JSON on
// stdin: status "created" up to startContainer, "running" for poststart,
// "stopped" for poststop. Its stdout and stderr are kept for the error.

// hookKind names a list of hooks in errors and warnings.
type hookKind string

const (
	hookPrestart        hookKind = "prestart"
	hookCreateRuntime   hookKind = "createRuntime"
	hookCreateContainer hookKind = "createContainer"
	hookStartContainer  hookKind = "startContainer"
	hookPoststart       hookKind = "poststart"
	hookPoststop        hookKind = "poststop"
)

// hooksOf returns the hooks of kind in spec (nil when there are none).
func hooksOf(spec *specs.Spec, kind hookKind) []specs.Hook {
	if spec == nil || spec.Hooks == nil {
		return nil
	}
	h := spec.Hooks
	switch kind {
	case hookPrestart:
		return h.Prestart //nolint:staticcheck // deprecated in the spec, still run
	case hookCreateRuntime:
		return h.CreateRuntime
	case hookCreateContainer:
		return h.CreateContainer
	case hookStartContainer:
		return h.StartContainer
	case hookPoststart:
		return h.Poststart
	case hookPoststop:
		return h.Poststop
	}
	return nil
}

// validateHooks checks what the spec requires of every hook: an absolute
// path and a positive timeout when one is set.
func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	lists := map[string][]specs.Hook{
		"prestart": h.Prestart, "createRuntime": h.CreateRuntime, "createContainer": h.CreateContainer, //nolint:staticcheck
		"startContainer": h.StartContainer, "poststart": h.Poststart, "poststop": h.Poststop,
	}
	for kind, list := range lists {
		for i, hk := range list {
			if !filepath.IsAbs(hk.Path) {
				return fmt.Errorf("hooks.%s[%d].path %q is not absolute: %w", kind, i, hk.Path, errdefs.ErrInvalidArgument)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout %d is not positive: %w", kind, i, *hk.Timeout, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
}

// hookState is the state JSON a hook reads on stdin.
func hookState(c *Container, status string, pid int) []byte {
	b, _ := json.Marshal(specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.ContainerState(status), Pid: pid,
		Bundle: c.Bundle, Annotations: c.Annotations,
	})
	return b
}

// hookError is a failed hook: create, on one, goes on with the lifecycle's
// destroy step (poststop hooks included).
type hookError struct{ err error }

func (e *hookError) Error() string { return e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// runHooks runs hooks in order and stops at the first failure.
func runHooks(ctx context.Context, kind hookKind, hooks []specs.Hook, state []byte) error {
	for i, h := range hooks {
		if err := runHook(ctx, h, state); err != nil {
			return &hookError{fmt.Errorf("%s hook #%d (%s): %w", kind, i, h.Path, err)}
		}
	}
	return nil
}

// runPoststop runs the poststop hooks: a failure is a warning (stderr and
// the log) and the next hooks still run.
func runPoststop(ctx context.Context, c *Container) {
	hooks := hooksOf(c.Spec, hookPoststop)
	if len(hooks) == 0 {
		return
	}
	state := hookState(c, StatusStopped, 0)
	for i, h := range hooks {
		if err := runHook(ctx, h, state); err != nil {
			warn(ctx, fmt.Errorf("container %q: poststop hook #%d (%s): %w", c.ID, i, h.Path, err))
		}
	}
}

// runHook runs one hook with the state on stdin, its own environment only,
// and its timeout (if any).
func runHook(ctx context.Context, h specs.Hook, state []byte) error {
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(state), &out, &out
	cmd.WaitDelay = time.Second // a hook's children may keep the output pipe open
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
