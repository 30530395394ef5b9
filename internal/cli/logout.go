package cli

import (
	"fmt"

	"github.com/berthproject/berth/internal/credential"
	"github.com/spf13/cobra"
)

func (c *CLI) newLogoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Long:  "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) > 0 {
				server = args[0]
			}
			return c.runLogout(server)
		},
	}
}

// runLogout is docker's runLogout: it erases the entry under every form
// the server may have been stored as.
func (c *CLI) runLogout(server string) error {
	store, err := credential.Load(c.configDir())
	if err != nil {
		return err
	}
	host := serverHost(server)
	key := credential.Key(host)
	keys := []string{key}
	if key != credential.DockerHubKey {
		keys = append(keys, server, "http://"+host, "https://"+host)
	}
	fmt.Fprintf(c.out, "Removing login credentials for %s\n", key)
	errs := map[string]error{}
	for _, k := range uniq(keys) {
		if _, err := store.Erase(k); err != nil {
			errs[k] = err
		}
	}
	if len(errs) > 0 && len(errs) == len(uniq(keys)) {
		fmt.Fprintln(c.errOut, "WARNING: could not erase credentials:")
		for k, err := range errs {
			fmt.Fprintf(c.errOut, "%s: %s\n", k, err)
		}
	}
	return nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
