package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// StatusError ends the CLI with Code, printing Status (or Cause) first
// unless both are empty. It is docker's cli.StatusError.
type StatusError struct {
	Status string
	Cause  error
	Code   int
}

// Error returns the text printed on stderr.
func (e StatusError) Error() string {
	if e.Status != "" {
		return e.Status
	}
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return ""
}

// Unwrap returns the cause.
func (e StatusError) Unwrap() error { return e.Cause }

// flagError is cobra's flag-error hook: docker exits 125 and shows usage.
func flagError(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	return StatusError{
		Status: fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, cmd.UseLine(), cmd.CommandPath()),
		Code:   125,
	}
}

// withHelp formats a run/create failure as docker does.
func withHelp(err error, cmd *cobra.Command) error {
	return fmt.Errorf("%s: %w\n\nRun '%s --help' for more information", cmd.Root().Name(), err, cmd.CommandPath())
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// noArgs, exactArgs, minArgs, maxArgs and rangeArgs are docker's argument
// checks with its messages.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("%s: unknown command: %s %s\n\nUsage:  %s\n\nRun '%s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), args[0], cmd.UseLine(), cmd.CommandPath())
	}
	return fmt.Errorf("%s: '%s' accepts no arguments\n\nUsage:  %s\n\nRun '%s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), cmd.UseLine(), cmd.CommandPath())
}

func argsError(cmd *cobra.Command, what, see string) error {
	return fmt.Errorf("%s: '%s' requires %s\n\nUsage:  %s\n\n%s '%s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), what, cmd.UseLine(), see, cmd.CommandPath())
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("%d %s", n, plural("argument", n)), "Run")
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("at least %d %s", n, plural("argument", n)), "See")
	}
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("at most %d %s", n, plural("argument", n)), "Run")
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		return argsError(cmd, fmt.Sprintf("at least %d and at most %d %s", lo, hi, plural("argument", hi)), "Run")
	}
}

// joinErrors joins per-item errors one per line, like errors.Join, or
// returns nil.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return StatusError{Status: strings.Join(msgs, "\n"), Cause: errs[0], Code: 1}
}
