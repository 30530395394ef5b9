package cli

import (
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/moby/moby/api/types/system"
	"github.com/spf13/cobra"
)

// versionTemplate is docker's `version` layout.
const versionTemplate = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`

// BuildTime is when the CLI was built (RFC 3339), set at link time.
var BuildTime = ""

type platformInfo struct {
	Name string `json:"Name,omitempty"`
}

type clientVersion struct {
	Platform          *platformInfo `json:"Platform,omitempty"`
	Version           string        `json:"Version,omitempty"`
	APIVersion        string        `json:"ApiVersion,omitempty"`
	DefaultAPIVersion string        `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string        `json:"GitCommit,omitempty"`
	GoVersion         string        `json:"GoVersion,omitempty"`
	Os                string        `json:"Os,omitempty"`
	Arch              string        `json:"Arch,omitempty"`
	BuildTime         string        `json:"BuildTime,omitempty"`
	Context           string        `json:"Context"`
}

type versionInfo struct {
	Client clientVersion
	Server *system.VersionResponse
}

func (c *CLI) clientVersion() clientVersion {
	commit, built := GitCommit, BuildTime
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "unknown" && len(s.Value) >= 7:
				commit = s.Value[:7]
			case s.Key == "vcs.time" && built == "":
				built = s.Value
			}
		}
	}
	return clientVersion{
		Version: Version, DefaultAPIVersion: api.MaxVersion,
		GoVersion: runtime.Version(), GitCommit: commit, BuildTime: reformatDate(built),
		Os: runtime.GOOS, Arch: runtime.GOARCH, Context: "default",
	}
}

func (c *CLI) newVersionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Berth version information",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "":
				format = versionTemplate
			case "json":
				format = "{{json .}}"
			}
			tmpl, err := formatter.New("version").Funcs(template.FuncMap{"getDetailsOrder": detailsOrder}).Parse(format)
			if err != nil {
				return StatusError{Code: 64, Status: "template parsing error: " + err.Error()}
			}
			vd := versionInfo{Client: c.clientVersion()}
			api, err := c.client()
			if err != nil {
				return err
			}
			sv, err := api.ServerVersion(cmd.Context())
			vd.Client.APIVersion = api.ClientVersion()
			if err == nil {
				vd.Server = &sv
				addEngineComponent(vd.Server)
			}
			tw := tabwriter.NewWriter(c.out, 20, 1, 1, ' ', 0)
			terr := tmpl.Execute(tw, vd)
			_, _ = tw.Write([]byte("\n"))
			_ = tw.Flush()
			if err != nil {
				return err
			}
			return terr
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", inspectFormatHelp)
	return cmd
}

// addEngineComponent makes sure an "Engine" component exists (old daemons
// only fill the top-level fields) and formats its build time.
func addEngineComponent(sv *system.VersionResponse) {
	for _, comp := range sv.Components {
		if comp.Name == "Engine" {
			if bt, ok := comp.Details["BuildTime"]; ok {
				comp.Details["BuildTime"] = reformatDate(bt)
			}
			return
		}
	}
	sv.Components = append(sv.Components, system.ComponentVersion{
		Name: "Engine", Version: sv.Version,
		Details: map[string]string{
			"ApiVersion": sv.APIVersion, "MinAPIVersion": sv.MinAPIVersion, "GitCommit": sv.GitCommit,
			"GoVersion": sv.GoVersion, "Os": sv.Os, "Arch": sv.Arch, "BuildTime": reformatDate(sv.BuildTime),
			"Experimental": strconv.FormatBool(sv.Experimental),
		},
	})
}

func reformatDate(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.ANSIC)
	}
	return s
}

func detailsOrder(v system.ComponentVersion) []string {
	out := make([]string, 0, len(v.Details))
	for k := range v.Details {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
