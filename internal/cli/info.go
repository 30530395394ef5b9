package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/berthproject/berth/internal/cli/formatter"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
	"github.com/spf13/cobra"
)

// infoData is what `info --format` templates see: the daemon's Info
// embedded, plus the client section (docker's dockerInfo).
type infoData struct {
	*system.Info
	ClientInfo   *clientInfo
	ClientErrors []string `json:",omitempty"`
	ServerErrors []string `json:",omitempty"`
}

type clientInfo struct {
	clientVersion
	Debug    bool
	Plugins  []any
	Warnings []string
}

func (c *CLI) newInfoCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [OPTIONS]",
		Short: "Display system-wide information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data := infoData{ClientInfo: &clientInfo{clientVersion: c.clientVersion(), Debug: c.opts.debug, Plugins: []any{}}}
			api, err := c.client()
			if err != nil {
				return err
			}
			info, err := api.Info(cmd.Context())
			if err != nil {
				return err
			}
			data.Info = &info
			if format == "" {
				data.ClientInfo.APIVersion = api.ClientVersion()
				printInfo(c.out, c.errOut, data)
				return nil
			}
			if format == "json" {
				format = "{{json .}}"
			}
			tmpl, err := formatter.Parse(format)
			if err != nil {
				return StatusError{Code: 64, Status: "template parsing error: " + err.Error()}
			}
			err = tmpl.Execute(c.out, data)
			fmt.Fprintln(c.out)
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

// printInfo is docker's human `info` layout.
func printInfo(out, errOut io.Writer, d infoData) {
	ci := d.ClientInfo
	if ci.Platform != nil && ci.Platform.Name != "" {
		fmt.Fprintln(out, "Client:", ci.Platform.Name)
	} else {
		fmt.Fprintln(out, "Client:")
	}
	fmt.Fprintln(out, " Version:   ", ci.Version)
	fmt.Fprintln(out, " Context:   ", ci.Context)
	fmt.Fprintln(out, " Debug Mode:", ci.Debug)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Server:")
	printServerInfo(out, d.Info)
	fmt.Fprintln(out)
	for _, w := range d.Warnings {
		fmt.Fprintln(errOut, w)
	}
}

func nonEmpty(out io.Writer, label, v string) {
	if v != "" {
		fmt.Fprintln(out, label, v)
	}
}

func printServerInfo(out io.Writer, i *system.Info) {
	fmt.Fprintln(out, " Containers:", i.Containers)
	fmt.Fprintln(out, "  Running:", i.ContainersRunning)
	fmt.Fprintln(out, "  Paused:", i.ContainersPaused)
	fmt.Fprintln(out, "  Stopped:", i.ContainersStopped)
	fmt.Fprintln(out, " Images:", i.Images)
	nonEmpty(out, " Server Version:", i.ServerVersion)
	nonEmpty(out, " Storage Driver:", i.Driver)
	for _, p := range i.DriverStatus {
		fmt.Fprintf(out, "  %s: %s\n", p[0], p[1])
	}
	for _, p := range i.SystemStatus {
		fmt.Fprintf(out, " %s: %s\n", p[0], p[1])
	}
	nonEmpty(out, " Logging Driver:", i.LoggingDriver)
	nonEmpty(out, " Cgroup Driver:", i.CgroupDriver)
	nonEmpty(out, " Cgroup Version:", i.CgroupVersion)
	fmt.Fprintln(out, " Plugins:")
	fmt.Fprintln(out, "  Volume:", strings.Join(i.Plugins.Volume, " "))
	fmt.Fprintln(out, "  Network:", strings.Join(i.Plugins.Network, " "))
	if len(i.Plugins.Authorization) != 0 {
		fmt.Fprintln(out, "  Authorization:", strings.Join(i.Plugins.Authorization, " "))
	}
	fmt.Fprintln(out, "  Log:", strings.Join(i.Plugins.Log, " "))
	if len(i.CDISpecDirs) > 0 {
		fmt.Fprintln(out, " CDI spec directories:")
		for _, d := range i.CDISpecDirs {
			fmt.Fprintf(out, "  %s\n", d)
		}
	}
	fmt.Fprintln(out, " Swarm:", i.Swarm.LocalNodeState)
	if len(i.Runtimes) > 0 {
		names := make([]string, 0, len(i.Runtimes))
		for n := range i.Runtimes {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(out, " Runtimes:", strings.Join(names, " "))
		fmt.Fprintln(out, " Default Runtime:", i.DefaultRuntime)
	}
	if i.OSType == "linux" {
		printLinuxInfo(out, i)
	}
	printHostInfo(out, i)
}

func printLinuxInfo(out io.Writer, i *system.Info) {
	fmt.Fprintln(out, " Init Binary:", i.InitBinary)
	fmt.Fprintln(out, " containerd version:", i.ContainerdCommit.ID)
	fmt.Fprintln(out, " runc version:", i.RuncCommit.ID)
	fmt.Fprintln(out, " init version:", i.InitCommit.ID)
	if len(i.SecurityOptions) == 0 {
		return
	}
	fmt.Fprintln(out, " Security Options:")
	for _, so := range i.SecurityOptions {
		name, profile := so, ""
		if strings.HasPrefix(so, "name=") {
			for _, kv := range strings.Split(so, ",") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "name":
					name = v
				case "profile":
					profile = v
				}
			}
		}
		fmt.Fprintln(out, "  "+name)
		if profile != "" {
			fmt.Fprintln(out, "   Profile:", profile)
		}
	}
}

func printHostInfo(out io.Writer, i *system.Info) {
	nonEmpty(out, " Kernel Version:", i.KernelVersion)
	nonEmpty(out, " Operating System:", i.OperatingSystem)
	nonEmpty(out, " OSType:", i.OSType)
	nonEmpty(out, " Architecture:", i.Architecture)
	fmt.Fprintln(out, " CPUs:", i.NCPU)
	fmt.Fprintln(out, " Total Memory:", units.BytesSize(float64(i.MemTotal)))
	nonEmpty(out, " Name:", i.Name)
	nonEmpty(out, " ID:", i.ID)
	fmt.Fprintln(out, " Docker Root Dir:", i.DockerRootDir)
	fmt.Fprintln(out, " Debug Mode:", i.Debug)
	if i.Debug {
		fmt.Fprintln(out, "  File Descriptors:", i.NFd)
		fmt.Fprintln(out, "  Goroutines:", i.NGoroutines)
		fmt.Fprintln(out, "  System Time:", i.SystemTime)
		fmt.Fprintln(out, "  EventsListeners:", i.NEventsListener)
	}
	nonEmpty(out, " HTTP Proxy:", i.HTTPProxy)
	nonEmpty(out, " HTTPS Proxy:", i.HTTPSProxy)
	nonEmpty(out, " No Proxy:", i.NoProxy)
	if len(i.Labels) > 0 {
		fmt.Fprintln(out, " Labels:")
		for _, l := range i.Labels {
			fmt.Fprintln(out, "  "+l)
		}
	}
	fmt.Fprintln(out, " Experimental:", i.ExperimentalBuild)
	if rc := i.RegistryConfig; rc != nil && (len(rc.InsecureRegistryCIDRs) > 0 || len(rc.IndexConfigs) > 0) {
		fmt.Fprintln(out, " Insecure Registries:")
		for _, ic := range rc.IndexConfigs {
			if !ic.Secure {
				fmt.Fprintln(out, "  "+ic.Name)
			}
		}
		for _, p := range rc.InsecureRegistryCIDRs {
			fmt.Fprintf(out, "  %s\n", p)
		}
	}
	if rc := i.RegistryConfig; rc != nil && len(rc.Mirrors) > 0 {
		fmt.Fprintln(out, " Registry Mirrors:")
		for _, m := range rc.Mirrors {
			fmt.Fprintln(out, "  "+m)
		}
	}
	fmt.Fprintln(out, " Live Restore Enabled:", i.LiveRestoreEnabled)
	if i.ProductLicense != "" {
		fmt.Fprintln(out, " Product License:", i.ProductLicense)
	}
	if len(i.DefaultAddressPools) > 0 {
		fmt.Fprintln(out, " Default Address Pools:")
		for _, p := range i.DefaultAddressPools {
			fmt.Fprintf(out, "   Base: %s, Size: %d\n", p.Base, p.Size)
		}
	}
}
