package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newRootCommand builds the berth command tree: docker's top-level
// commands plus the `container`, `image` and `system` groups.
func (c *CLI) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:                   "berth [OPTIONS] COMMAND [ARG...]",
		Short:                 "A self-sufficient runtime for containers",
		SilenceUsage:          true,
		SilenceErrors:         true,
		TraverseChildren:      true,
		DisableFlagsInUseLine: true,
		Version:               fmt.Sprintf("%s, build %s", Version, GitCommit),
		CompletionOptions:     cobra.CompletionOptions{HiddenDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.setupLogging(cmd)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				cmd.SetOut(c.errOut)
				return cmd.Help()
			}
			return fmt.Errorf("%s: unknown command: %s %s\n\nRun '%s --help' for more information", cmd.Name(), cmd.Name(), args[0], cmd.Name())
		},
	}
	root.SetVersionTemplate("Berth version {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	f := root.Flags()
	f.StringArrayVarP(&c.opts.hosts, "host", "H", nil, "Daemon socket to connect to")
	f.StringVarP(&c.opts.logLevel, "log-level", "l", "info", `Set the logging level ("debug", "info", "warn", "error", "fatal")`)
	f.BoolVarP(&c.opts.debug, "debug", "D", false, "Enable debug mode")
	f.StringVar(&c.opts.config, "config", "", "Location of client config files")
	f.StringVarP(&c.opts.context, "context", "c", "", "Name of the context to use (accepted, ignored)")
	f.BoolVar(&c.opts.tls, "tls", false, "Use TLS; implied by --tlsverify")
	f.BoolVar(&c.opts.tlsVerify, "tlsverify", false, "Use TLS and verify the remote")
	f.StringVar(&c.opts.tlsCACert, "tlscacert", "", "Trust certs signed only by this CA")
	f.StringVar(&c.opts.tlsCert, "tlscert", "", "Path to TLS certificate file")
	f.StringVar(&c.opts.tlsKey, "tlskey", "", "Path to TLS key file")
	f.BoolP("version", "v", false, "Print version information and quit")

	root.AddCommand(c.containerCommands()...)
	root.AddCommand(c.imageCommands()...)
	root.AddCommand(
		c.newVersionCommand(), c.newInfoCommand(), c.newEventsCommand(), c.newInspectCommand(),
		c.newPullCommand(), c.newPushCommand(), c.newLoginCommand(), c.newLogoutCommand(),
		c.newContainerGroup(), c.newImageGroup(), c.newSystemGroup(),
	)
	finishTree(root)
	return root
}

// containerCommands are the top-level container commands (docker run, ps, ...).
func (c *CLI) containerCommands() []*cobra.Command {
	return []*cobra.Command{
		c.newRunCommand(), c.newCreateCommand(), c.newStartCommand(), c.newStopCommand(),
		c.newRestartCommand(), c.newKillCommand(), c.newRmCommand(), c.newPsCommand(),
		c.newLogsCommand(), c.newExecCommand(), c.newAttachCommand(), c.newWaitCommand(),
		c.newTopCommand(), c.newRenameCommand(), c.newPortCommand(), c.newUpdateCommand(), c.newStatsCommand(),
	}
}

// imageCommands are the top-level image commands (docker images, rmi, ...).
func (c *CLI) imageCommands() []*cobra.Command {
	return []*cobra.Command{
		c.newImagesCommand(), c.newRmiCommand(), c.newTagCommand(), c.newLoadCommand(),
		c.newSaveCommand(), c.newImportCommand(), c.newHistoryCommand(),
	}
}

// group returns a management command ("container", "image", "system").
func group(use, short string, cmds ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{Use: use, Short: short, Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		cmd.SetOut(cmd.ErrOrStderr())
		return cmd.Help()
	}}
	g.AddCommand(cmds...)
	return g
}

func (c *CLI) newContainerGroup() *cobra.Command {
	ls := c.newPsCommand()
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"ps", "list"}
	return group("container", "Manage containers",
		c.newRunCommand(), c.newCreateCommand(), c.newStartCommand(), c.newStopCommand(),
		c.newRestartCommand(), c.newKillCommand(), c.newRmCommandNamed("rm", "remove"), ls,
		c.newLogsCommand(), c.newExecCommand(), c.newAttachCommand(), c.newWaitCommand(),
		c.newTopCommand(), c.newRenameCommand(), c.newPortCommand(), c.newUpdateCommand(), c.newStatsCommand(), c.newContainerPruneCommand(),
		c.newTypedInspectCommand("container"),
	)
}

func (c *CLI) newImageGroup() *cobra.Command {
	ls := c.newImagesCommand()
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}
	rm := c.newRmiCommand()
	rm.Use, rm.Aliases = "rm [OPTIONS] IMAGE [IMAGE...]", []string{"remove", "rmi"}
	return group("image", "Manage images",
		ls, rm, c.newTagCommand(), c.newLoadCommand(), c.newSaveCommand(), c.newImportCommand(),
		c.newHistoryCommand(), c.newImagePruneCommand(), c.newTypedInspectCommand("image"),
		c.newPullCommand(), c.newPushCommand(),
	)
}

func (c *CLI) newSystemGroup() *cobra.Command {
	return group("system", "Manage Berth", c.newInfoCommand(), c.newEventsCommand())
}

// finishTree applies docker's command conventions to every command: no
// "[flags]" in usage lines and docker's flag-error handling.
func finishTree(cmd *cobra.Command) {
	cmd.DisableFlagsInUseLine = true
	for _, sub := range cmd.Commands() {
		finishTree(sub)
	}
}
