package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// mountOpt is the repeatable --mount flag (CSV key=value fields).
type mountOpt struct{ values []mount.Mount }

func (m *mountOpt) String() string { return "" }
func (m *mountOpt) Type() string   { return "mount" }

// Set parses one --mount value like docker's opts.MountOpt.
func (m *mountOpt) Set(value string) error {
	fields, err := csv.NewReader(strings.NewReader(value)).Read()
	if err != nil {
		return err
	}
	mt := mount.Mount{Type: mount.TypeVolume}
	for _, field := range fields {
		if err := setMountField(&mt, field); err != nil {
			return err
		}
	}
	if mt.Target == "" {
		return errors.New("target is required")
	}
	if mt.VolumeOptions != nil && mt.Type != mount.TypeVolume {
		return fmt.Errorf("cannot mix 'volume-*' options with mount type '%s'", mt.Type)
	}
	if mt.BindOptions != nil && mt.Type != mount.TypeBind {
		return fmt.Errorf("cannot mix 'bind-*' options with mount type '%s'", mt.Type)
	}
	if mt.TmpfsOptions != nil && mt.Type != mount.TypeTmpfs {
		return fmt.Errorf("cannot mix 'tmpfs-*' options with mount type '%s'", mt.Type)
	}
	m.values = append(m.values, mt)
	return nil
}

func setMountField(mt *mount.Mount, field string) error {
	key, val, hasVal := strings.Cut(field, "=")
	key = strings.ToLower(key)
	vol := func() *mount.VolumeOptions {
		if mt.VolumeOptions == nil {
			mt.VolumeOptions = &mount.VolumeOptions{Labels: map[string]string{}, DriverConfig: &mount.Driver{}}
		}
		return mt.VolumeOptions
	}
	bind := func() *mount.BindOptions {
		if mt.BindOptions == nil {
			mt.BindOptions = &mount.BindOptions{}
		}
		return mt.BindOptions
	}
	tmpfs := func() *mount.TmpfsOptions {
		if mt.TmpfsOptions == nil {
			mt.TmpfsOptions = &mount.TmpfsOptions{}
		}
		return mt.TmpfsOptions
	}
	if !hasVal {
		switch key {
		case "readonly", "ro":
			mt.ReadOnly = true
		case "volume-nocopy":
			vol().NoCopy = true
		case "bind-nonrecursive":
			bind().NonRecursive = true
		default:
			return fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		return nil
	}
	var err error
	switch key {
	case "type":
		mt.Type = mount.Type(strings.ToLower(val))
	case "source", "src":
		mt.Source = absIfRelative(val)
	case "target", "dst", "destination":
		mt.Target = val
	case "readonly", "ro":
		if mt.ReadOnly, err = strconv.ParseBool(val); err != nil {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
	case "consistency":
		mt.Consistency = mount.Consistency(strings.ToLower(val))
	case "bind-propagation":
		bind().Propagation = mount.Propagation(strings.ToLower(val))
	case "volume-subpath":
		vol().Subpath = val
	case "volume-nocopy":
		if vol().NoCopy, err = strconv.ParseBool(val); err != nil {
			return fmt.Errorf("invalid value for volume-nocopy: %s", val)
		}
	case "volume-label":
		k, v, _ := strings.Cut(val, "=")
		vol().Labels[k] = v
	case "volume-driver":
		vol().DriverConfig.Name = val
	case "volume-opt":
		d := vol().DriverConfig
		if d.Options == nil {
			d.Options = map[string]string{}
		}
		k, v, _ := strings.Cut(val, "=")
		d.Options[k] = v
	case "tmpfs-size":
		if tmpfs().SizeBytes, err = units.RAMInBytes(val); err != nil {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
	case "tmpfs-mode":
		mode, err := strconv.ParseUint(val, 8, 32)
		if err != nil {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
		tmpfs().Mode = os.FileMode(mode)
	default:
		return fmt.Errorf("unexpected key '%s' in '%s'", key, field)
	}
	return nil
}

// absIfRelative makes "./x"-style host paths absolute, as docker does.
func absIfRelative(p string) string {
	if !filepath.IsAbs(p) && strings.HasPrefix(p, ".") {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	return p
}

// splitVolumes sorts -v values: "src:dst[:mode]" become binds (relative
// sources made absolute), a lone path an anonymous volume.
func splitVolumes(vals []string) (binds []string, anon map[string]struct{}) {
	for _, v := range vals {
		src, rest, ok := strings.Cut(v, ":")
		if !ok || src == "" {
			if anon == nil {
				anon = map[string]struct{}{}
			}
			anon[v] = struct{}{}
			continue
		}
		binds = append(binds, absIfRelative(src)+":"+rest)
	}
	return binds, anon
}

// parsePublish parses -p values ("[ip:][hostPort:]containerPort[/proto]",
// ranges allowed, or the long "target=,published=,protocol=" form) into
// exposed ports and port bindings.
func parsePublish(specs []string) (network.PortSet, network.PortMap, error) {
	set, bindings := network.PortSet{}, network.PortMap{}
	for _, spec := range specs {
		if strings.Contains(spec, "=") {
			p := map[string]string{"protocol": "tcp"}
			for _, kv := range strings.Split(spec, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return nil, nil, fmt.Errorf("invalid publish opts format (should be name=value but got '%s')", kv)
				}
				p[k] = v
			}
			spec = p["published"] + ":" + p["target"] + "/" + p["protocol"]
		}
		if err := addPortSpec(set, bindings, spec); err != nil {
			return nil, nil, err
		}
	}
	return set, bindings, nil
}

func addPortSpec(set network.PortSet, bindings network.PortMap, spec string) error {
	rawIP, hostPort, ctrPort, err := splitPortSpec(spec)
	if err != nil {
		return err
	}
	ctrPort, proto, _ := strings.Cut(ctrPort, "/")
	if proto == "" {
		proto = "tcp"
	}
	var ip netip.Addr
	if rawIP != "" {
		if ip, err = netip.ParseAddr(strings.Trim(rawIP, "[]")); err != nil {
			return fmt.Errorf("invalid IP address: %s", rawIP)
		}
	}
	cr, err := network.ParsePortRange(ctrPort)
	if err != nil {
		return fmt.Errorf("invalid containerPort: %s", ctrPort)
	}
	var hostStart, hostEnd uint64
	if hostPort != "" {
		lo, hi, isRange := strings.Cut(hostPort, "-")
		if hostStart, err = strconv.ParseUint(lo, 10, 16); err != nil {
			return fmt.Errorf("invalid hostPort: %s", hostPort)
		}
		hostEnd = hostStart
		if isRange {
			if hostEnd, err = strconv.ParseUint(hi, 10, 16); err != nil || hostEnd < hostStart {
				return fmt.Errorf("invalid hostPort: %s", hostPort)
			}
		}
	}
	n := 0
	for p := range cr.All() {
		port, _ := network.PortFrom(p.Num(), network.IPProtocol(strings.ToLower(proto)))
		set[port] = struct{}{}
		hp := ""
		switch {
		case hostPort == "":
		case hostEnd == hostStart:
			hp = strconv.FormatUint(hostStart, 10)
		default:
			hp = strconv.FormatUint(hostStart+uint64(n), 10)
		}
		bindings[port] = append(bindings[port], network.PortBinding{HostIP: ip, HostPort: hp})
		n++
	}
	return nil
}

// splitPortSpec splits "ip:host:ctr", "host:ctr" or "ctr"; IPv6 addresses
// go in brackets.
func splitPortSpec(spec string) (ip, host, ctr string, err error) {
	if strings.HasPrefix(spec, "[") {
		end := strings.Index(spec, "]")
		if end < 0 {
			return "", "", "", fmt.Errorf("invalid IP address: %s", spec)
		}
		ip, spec = spec[1:end], strings.TrimPrefix(spec[end+1:], ":")
		host, ctr, _ = strings.Cut(spec, ":")
		if ctr == "" {
			return "", "", "", fmt.Errorf("no port specified: %s<empty>", spec)
		}
		return ip, host, ctr, nil
	}
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		return "", parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", fmt.Errorf("invalid port specification: %q", spec)
}
