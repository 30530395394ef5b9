package cli

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/cobra"
)

func (c *CLI) newPortCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			info, _, err := api.ContainerInspect(cmd.Context(), args[0], false)
			if err != nil {
				return err
			}
			var ports network.PortMap
			if info.NetworkSettings != nil {
				ports = info.NetworkSettings.Ports
			}
			var out []string
			if len(args) == 2 {
				if out, err = portLookup(ports, args[1], args[0]); err != nil {
					return err
				}
			} else {
				for from, fronts := range ports {
					for _, f := range fronts {
						out = append(out, fmt.Sprintf("%s -> %s", from, hostPort(f)))
					}
				}
			}
			if len(out) > 0 {
				sort.Strings(out)
				fmt.Fprintln(c.out, strings.Join(out, "\n"))
			}
			return nil
		},
	}
}

func portLookup(ports network.PortMap, spec, ctr string) ([]string, error) {
	port, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("Error: invalid port (%s): %w", port, err) //nolint:staticcheck // docker's message
	}
	p, _ := network.PortFrom(uint16(n), network.IPProtocol(proto))
	fronts := ports[p]
	if len(fronts) == 0 {
		return nil, fmt.Errorf("Error: No public port '%s' published for %s", spec, ctr) //nolint:staticcheck // docker's message
	}
	out := make([]string, 0, len(fronts))
	for _, f := range fronts {
		out = append(out, hostPort(f))
	}
	return out, nil
}

func hostPort(b network.PortBinding) string {
	ip := ""
	if b.HostIP.IsValid() {
		ip = b.HostIP.String()
	}
	return net.JoinHostPort(ip, b.HostPort)
}
