package formatter

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/client"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const defaultContainerTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// NewContainerFormat returns the format of `ps` for --format source, -q
// and -s.
func NewContainerFormat(source string, quiet, size bool) Format {
	switch source {
	case TableKey, "":
		if quiet {
			return QuietFormat
		}
		if size {
			return defaultContainerTable + `\t{{.Size}}`
		}
		return defaultContainerTable
	case RawKey:
		if quiet {
			return `container_id: {{.ID}}`
		}
		f := "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n" +
			"state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n" +
			"labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n"
		if size {
			f += `size: {{.Size}}\n`
		}
		return Format(f)
	}
	if quiet {
		return QuietFormat
	}
	return Format(source)
}

// ContainerWrite renders containers in ctx's format.
func ContainerWrite(ctx Context, list []container.Summary) error {
	return ctx.Write(NewContainerContext(), func(emit func(SubContext) error) error {
		for _, c := range list {
			if err := emit(&ContainerContext{trunc: ctx.Trunc, c: c}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ContainerContext is one `ps` row; its methods are the template fields.
type ContainerContext struct {
	HeaderContext
	trunc bool
	c     container.Summary

	// FieldsUsed records fields the template used (.Size asks the daemon
	// for sizes).
	FieldsUsed map[string]any
}

// NewContainerContext returns the header row of `ps`.
func NewContainerContext() *ContainerContext {
	cc := &ContainerContext{}
	cc.Header = SubHeaderContext{
		"ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Command": "COMMAND",
		"CreatedAt": "CREATED AT", "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE",
		"Status": "STATUS", "Size": "SIZE", "Labels": "LABELS", "Mounts": "MOUNTS",
		"LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS", "Platform": "PLATFORM",
	}
	return cc
}

// MarshalJSON renders the row for `{{json .}}`.
func (c *ContainerContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

// ID is the container ID, short unless --no-trunc.
func (c *ContainerContext) ID() string {
	if c.trunc {
		return TruncateID(c.c.ID)
	}
	return c.c.ID
}

// Names are the container's names without their leading slash; with
// truncation, only the first name that is not a link.
func (c *ContainerContext) Names() string {
	names := make([]string, 0, len(c.c.Names))
	for _, n := range c.c.Names {
		names = append(names, strings.TrimPrefix(n, "/"))
	}
	if c.trunc {
		for _, n := range names {
			if !strings.Contains(n, "/") {
				names = []string{n}
				break
			}
		}
	}
	return strings.Join(names, ",")
}

// Image is the image reference as given, digest dropped unless --no-trunc.
func (c *ContainerContext) Image() string {
	if c.c.Image == "" {
		return "<no image>"
	}
	if !c.trunc {
		return c.c.Image
	}
	if t := TruncateID(c.c.ImageID); t == TruncateID(c.c.Image) {
		return t
	}
	ref, err := client.ParseNormalizedNamed(c.c.Image)
	if err != nil {
		return c.c.Image
	}
	ref.Digest = ""
	return ref.FamiliarString()
}

// Command is the quoted command line, cut to 20 columns unless --no-trunc.
func (c *ContainerContext) Command() string {
	cmd := c.c.Command
	if c.trunc {
		cmd = Ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

// CreatedAt is the creation time in Go's time.String form.
func (c *ContainerContext) CreatedAt() string { return time.Unix(c.c.Created, 0).String() }

// RunningFor is how long ago the container was created ("2 minutes ago").
func (c *ContainerContext) RunningFor() string {
	return units.HumanDuration(time.Now().UTC().Sub(time.Unix(c.c.Created, 0))) + " ago"
}

// Platform is an image platform that prints as "os/arch[/variant]".
type Platform struct {
	ocispec.Platform
}

// String formats the platform.
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Platform is the image platform, nil when the daemon does not report it.
func (c *ContainerContext) Platform() *Platform {
	d := c.c.ImageManifestDescriptor
	if d == nil || d.Platform == nil {
		return nil
	}
	return &Platform{*d.Platform}
}

// Ports are the published and exposed ports ("0.0.0.0:80->80/tcp").
func (c *ContainerContext) Ports() string { return DisplayablePorts(c.c.Ports) }

// State is the state word ("running", "exited", ...).
func (c *ContainerContext) State() string { return string(c.c.State) }

// Status is the daemon's status text ("Up 2 seconds").
func (c *ContainerContext) Status() string { return c.c.Status }

// Size is "rw size (virtual total)".
func (c *ContainerContext) Size() string {
	if c.FieldsUsed == nil {
		c.FieldsUsed = map[string]any{}
	}
	c.FieldsUsed["Size"] = struct{}{}
	srw := units.HumanSizeWithPrecision(float64(c.c.SizeRw), 3)
	if c.c.SizeRootFs > 0 {
		return fmt.Sprintf("%s (virtual %s)", srw, units.HumanSizeWithPrecision(float64(c.c.SizeRootFs), 3))
	}
	return srw
}

// Labels are the sorted "k=v" labels joined by commas.
func (c *ContainerContext) Labels() string {
	if c.c.Labels == nil {
		return ""
	}
	kv := make([]string, 0, len(c.c.Labels))
	for k, v := range c.c.Labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// Label returns one label's value.
func (c *ContainerContext) Label(name string) string { return c.c.Labels[name] }

// Mounts are the mount names (or sources) joined by commas.
func (c *ContainerContext) Mounts() string {
	out := make([]string, 0, len(c.c.Mounts))
	for _, m := range c.c.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if c.trunc {
			name = Ellipsis(name, 15)
		}
		out = append(out, name)
	}
	return strings.Join(out, ",")
}

// LocalVolumes counts the mounts of the "local" volume driver.
func (c *ContainerContext) LocalVolumes() string {
	n := 0
	for _, m := range c.c.Mounts {
		if m.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks are the names of the networks the container is attached to.
func (c *ContainerContext) Networks() string {
	if c.c.NetworkSettings == nil {
		return ""
	}
	out := make([]string, 0, len(c.c.NetworkSettings.Networks))
	for k := range c.c.NetworkSettings.Networks {
		out = append(out, k)
	}
	return strings.Join(out, ",")
}

// DisplayablePorts renders ports as `docker ps` does: consecutive private
// ports grouped into ranges, published ones as "ip:public->private/proto".
func DisplayablePorts(ports []container.PortSummary) string {
	type group struct{ first, last uint16 }
	groups := map[string]*group{}
	var keys, result, mappings []string
	sorted := append([]container.PortSummary(nil), ports...)
	sort.Slice(sorted, func(i, j int) bool { return portLess(sorted[i], sorted[j]) })
	for _, p := range sorted {
		key := p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				host := net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort)))
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", host, p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			groups[key] = &group{p.PrivatePort, p.PrivatePort}
			keys = append(keys, key)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
		default:
			result = append(result, formGroup(key, g.first, g.last))
			groups[key] = &group{p.PrivatePort, p.PrivatePort}
		}
	}
	for _, k := range keys {
		result = append(result, formGroup(k, groups[k].first, groups[k].last))
	}
	return strings.Join(append(result, mappings...), ", ")
}

func formGroup(key string, first, last uint16) string {
	ip, proto, hasIP := strings.Cut(key, "/")
	if !hasIP {
		ip, proto = "", key
	}
	g := strconv.Itoa(int(first))
	if first != last {
		g += "-" + strconv.Itoa(int(last))
	}
	if ip != "" {
		g = net.JoinHostPort(ip, g) + "->" + g
	}
	return g + "/" + proto
}

func portLess(a, b container.PortSummary) bool {
	if a.PrivatePort != b.PrivatePort {
		return a.PrivatePort < b.PrivatePort
	}
	if a.IP != b.IP {
		return a.IP.String() < b.IP.String()
	}
	if a.PublicPort != b.PublicPort {
		return a.PublicPort < b.PublicPort
	}
	return a.Type < b.Type
}
