package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/credential"
	"github.com/moby/moby/api/types/registry"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// loginOptions are the flags of `berth login`.
type loginOptions struct {
	server, user, password string
	passwordStdin          bool
}

func (c *CLI) newLoginCommand() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Authenticate to a registry",
		Long:  "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				o.server = args[0]
			}
			return c.runLogin(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.user, "username", "u", "", "Username")
	f.StringVarP(&o.password, "password", "p", "", "Password or Personal Access Token (PAT)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return cmd
}

// runLogin is docker's runLogin: stored credentials are tried first when
// none are given; otherwise they are asked for on the terminal.
func (c *CLI) runLogin(ctx context.Context, o loginOptions) error {
	if err := c.readPassword(&o); err != nil {
		return err
	}
	key := credential.Key(serverHost(o.server))
	store, err := credential.Load(c.configDir())
	if err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	if o.user == "" && o.password == "" {
		if stored, err := store.Get(key); err == nil && (stored.Username != "" || stored.IdentityToken != "") {
			stored.ServerAddress = key
			if resp, err := api.RegistryLogin(ctx, stored); err == nil {
				return c.loggedIn(store, stored, resp)
			}
		}
	}
	if err := c.prompt(&o, store, key); err != nil {
		return err
	}
	cfg := registry.AuthConfig{Username: o.user, Password: o.password, ServerAddress: key}
	resp, err := api.RegistryLogin(ctx, cfg)
	if err != nil {
		return err
	}
	return c.loggedIn(store, cfg, resp)
}

// readPassword applies --password and --password-stdin.
func (c *CLI) readPassword(o *loginOptions) error {
	if o.password != "" {
		fmt.Fprintln(c.errOut, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
		if o.passwordStdin {
			return errors.New("--password and --password-stdin are mutually exclusive")
		}
	}
	if !o.passwordStdin {
		return nil
	}
	if o.user == "" {
		return errors.New("Must provide --username with --password-stdin")
	}
	raw, err := io.ReadAll(c.in)
	if err != nil {
		return err
	}
	o.password = strings.TrimRight(string(raw), "\r\n")
	return nil
}

// prompt asks for what is missing of the username and password.
func (c *CLI) prompt(o *loginOptions, store *credential.File, key string) error {
	if o.user != "" && o.password != "" {
		return nil
	}
	if !c.in.terminal {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "Error: Cannot perform an interactive login from a non TTY device")
	}
	rd := bufio.NewReader(c.in)
	if o.user == "" {
		def := ""
		if stored, err := store.Get(key); err == nil {
			def = stored.Username
		}
		if def != "" {
			fmt.Fprintf(c.out, "Username (%s): ", def)
		} else {
			fmt.Fprint(c.out, "Username: ")
		}
		line, _ := rd.ReadString('\n')
		if o.user = strings.TrimSpace(line); o.user == "" {
			o.user = def
		}
		if o.user == "" {
			return errors.New("Error: Non-null Username Required")
		}
	}
	if o.password == "" {
		fmt.Fprint(c.out, "Password: ")
		raw, err := term.ReadPassword(c.in.fd)
		fmt.Fprintln(c.out)
		if err != nil {
			return err
		}
		if o.password = string(raw); o.password == "" {
			return errors.New("Error: Password Required")
		}
	}
	return nil
}

// loggedIn stores the credentials that worked and says so.
func (c *CLI) loggedIn(store *credential.File, cfg registry.AuthConfig, resp registry.AuthResponse) error {
	if resp.IdentityToken != "" {
		cfg.Password, cfg.IdentityToken = "", resp.IdentityToken
	}
	if err := store.Store(cfg); err != nil {
		return fmt.Errorf("error saving credentials: %w", err)
	}
	if store.Unencrypted(cfg.ServerAddress) {
		fmt.Fprintf(c.errOut, "\nWARNING! Your credentials are stored unencrypted in '%s'.\n"+
			"Configure a credential helper to remove this warning. See\n"+
			"https://docs.docker.com/go/credential-store/\n\n", store.Path())
	}
	fmt.Fprintln(c.out, "Login Succeeded")
	return nil
}

// serverHost reduces a login server address to the registry host.
func serverHost(server string) string {
	s := server
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	return s
}
