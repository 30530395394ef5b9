package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// containerOptions are the flags shared by run and create.
type containerOptions struct {
	attach, env, envFile, labels, labelFile, volumes, tmpfs    listOpt
	capAdd, capDrop, securityOpt, logOpts, publish, expose     listOpt
	networks, dns, dnsSearch, dnsOptions, extraHosts, groupAdd listOpt
	sysctls, annotations, devices                              listOpt
	mounts                                                     mountOpt
	ulimits                                                    ulimitOpt
	memory, memoryReservation, shmSize                         memBytes
	memorySwap                                                 memSwapBytes
	cpus                                                       nanoCPUs

	interactive, tty, readOnly, privileged, autoRemove, init, publishAll bool
	name, workdir, user, entrypoint, hostname, domainname, runtime       string
	restart, stopSignal, logDriver, pull, platform, cidfile              string
	ipc, pid, uts, userns, cgroupns, cgroupParent, cpusetCpus, cpusetMem string
	cpuShares, cpuPeriod, cpuQuota, pidsLimit, swappiness                int64
	stopTimeout, oomScoreAdj                                             int
	oomKillDisable, quiet                                                bool

	image string
	args  []string
}

// addContainerFlags declares docker's run/create flags on fs.
func addContainerFlags(fs *pflag.FlagSet) *containerOptions {
	o := &containerOptions{}
	o.attach.validate = validateAttach
	o.env.validate = validateEnv
	o.labels.validate = validateLabel
	o.devices.validate = func(v string) (string, error) { _, err := parseDevice(v); return v, err }
	fs.SetInterspersed(false)
	fs.VarP(&o.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	fs.VarP(&o.env, "env", "e", "Set environment variables")
	fs.Var(&o.envFile, "env-file", "Read in a file of environment variables")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "Overwrite the default ENTRYPOINT of the image")
	fs.StringVarP(&o.hostname, "hostname", "h", "", "Container host name")
	fs.StringVar(&o.domainname, "domainname", "", "Container NIS domain name")
	fs.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.VarP(&o.labels, "label", "l", "Set meta data on a container")
	fs.Var(&o.labelFile, "label-file", "Read in a line delimited file of labels")
	fs.BoolVar(&o.readOnly, "read-only", false, "Mount the container's root filesystem as read only")
	fs.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	fs.StringVar(&o.stopSignal, "stop-signal", "", "Signal to stop the container")
	fs.IntVar(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	fs.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.Var(&o.ulimits, "ulimit", "Ulimit options")
	fs.StringVarP(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	fs.BoolVar(&o.autoRemove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	fs.Var(&o.capAdd, "cap-add", "Add Linux capabilities")
	fs.Var(&o.capDrop, "cap-drop", "Drop Linux capabilities")
	fs.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to this container")
	fs.Var(&o.securityOpt, "security-opt", "Security Options")
	fs.Var(&o.sysctls, "sysctl", "Sysctl options")
	fs.Var(&o.devices, "device", "Add a host device to the container")
	fs.Var(&o.annotations, "annotation", "Add an annotation to the container (passed through to the OCI runtime)")
	fs.StringVar(&o.userns, "userns", "", "User namespace to use")
	fs.StringVar(&o.cgroupns, "cgroupns", "", "Cgroup namespace to use (host|private)")
	fs.Var(&o.extraHosts, "add-host", "Add a custom host-to-IP mapping (host:ip)")
	fs.Var(&o.dns, "dns", "Set custom DNS servers")
	fs.Var(&o.dnsOptions, "dns-option", "Set DNS options")
	fs.Var(&o.dnsSearch, "dns-search", "Set custom DNS search domains")
	fs.Var(&o.expose, "expose", "Expose a port or a range of ports")
	fs.VarP(&o.publish, "publish", "p", "Publish a container's port(s) to the host")
	fs.BoolVarP(&o.publishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	fs.Var(&o.networks, "network", "Connect a container to a network")
	fs.Var(&o.networks, "net", "Connect a container to a network")
	_ = fs.MarkHidden("net")
	fs.StringVar(&o.logDriver, "log-driver", "", "Logging driver for the container")
	fs.Var(&o.logOpts, "log-opt", "Log driver options")
	fs.Var(&o.tmpfs, "tmpfs", "Mount a tmpfs directory")
	fs.VarP(&o.volumes, "volume", "v", "Bind mount a volume")
	fs.Var(&o.mounts, "mount", "Attach a filesystem mount to the container")
	fs.StringVar(&o.cidfile, "cidfile", "", "Write the container ID to the file")
	fs.Var(&o.groupAdd, "group-add", "Add additional groups to join")
	addResourceFlags(fs, o)
	fs.StringVar(&o.runtime, "runtime", "", "Runtime to use for this container")
	fs.BoolVar(&o.init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	fs.StringVar(&o.name, "name", "", "Assign a name to the container")
	fs.StringVar(&o.pull, "pull", "missing", `Pull image before running ("always", "missing", "never")`)
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the pull output")
	fs.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	fs.Bool("help", false, "Print usage")
	return o
}

func addResourceFlags(fs *pflag.FlagSet, o *containerOptions) {
	fs.VarP(&o.memory, "memory", "m", "Memory limit")
	fs.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	fs.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	fs.Int64Var(&o.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	fs.BoolVar(&o.oomKillDisable, "oom-kill-disable", false, "Disable OOM Killer")
	fs.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	fs.Var(&o.cpus, "cpus", "Number of CPUs")
	fs.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&o.cpusetMem, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&o.cgroupParent, "cgroup-parent", "", "Optional parent cgroup for the container")
	fs.Var(&o.shmSize, "shm-size", "Size of /dev/shm")
	fs.StringVar(&o.ipc, "ipc", "", "IPC mode to use")
	fs.StringVar(&o.pid, "pid", "", "PID namespace to use")
	fs.StringVar(&o.uts, "uts", "", "UTS namespace to use")
}

// parse turns the flags into the create request docker's CLI would send.
func (o *containerOptions) parse(fs *pflag.FlagSet) (container.CreateRequest, error) {
	cfg, err := o.config(fs)
	if err != nil {
		return container.CreateRequest{}, err
	}
	hc, err := o.hostConfig(fs)
	if err != nil {
		return container.CreateRequest{}, err
	}
	cfg.ExposedPorts, hc.PortBindings, err = parsePublish(o.publish.values)
	if err != nil {
		return container.CreateRequest{}, err
	}
	for _, e := range o.expose.values {
		if err := exposePort(cfg.ExposedPorts, e); err != nil {
			return container.CreateRequest{}, err
		}
	}
	if len(cfg.ExposedPorts) == 0 {
		cfg.ExposedPorts = nil
	}
	hc.Binds, cfg.Volumes = splitVolumes(o.volumes.values)
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if len(o.networks.values) == 0 {
		netCfg.EndpointsConfig["default"] = &network.EndpointSettings{}
	}
	for _, n := range o.networks.values[min(1, len(o.networks.values)):] {
		netCfg.EndpointsConfig[n] = &network.EndpointSettings{}
	}
	return container.CreateRequest{Config: cfg, HostConfig: hc, NetworkingConfig: netCfg}, nil
}

// config builds the container.Config part.
func (o *containerOptions) config(fs *pflag.FlagSet) (*container.Config, error) {
	stdin, stdout, stderr := false, false, false
	for _, s := range o.attach.values {
		stdin, stdout, stderr = stdin || s == "stdin", stdout || s == "stdout", stderr || s == "stderr"
	}
	if o.interactive {
		stdin = true
	}
	if len(o.attach.values) == 0 {
		stdout, stderr = true, true
	}
	env, err := readKVFiles(o.envFile.values, o.env.values, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	labels, err := readKVFiles(o.labelFile.values, o.labels.values, nil)
	if err != nil {
		return nil, err
	}
	cfg := &container.Config{
		Hostname: o.hostname, Domainname: o.domainname, User: o.user, Tty: o.tty,
		OpenStdin: o.interactive, AttachStdin: stdin, AttachStdout: stdout, AttachStderr: stderr,
		Env: env, Cmd: o.args, Image: o.image, WorkingDir: o.workdir,
		Labels: kvMap(labels), StopSignal: o.stopSignal,
	}
	if o.entrypoint != "" {
		cfg.Entrypoint = []string{o.entrypoint}
	} else if fs.Changed("entrypoint") {
		cfg.Entrypoint = []string{""}
	}
	if fs.Changed("stop-timeout") {
		cfg.StopTimeout = &o.stopTimeout
	}
	if cfg.OpenStdin && cfg.AttachStdin {
		cfg.StdinOnce = true
	}
	return cfg, nil
}

// hostConfig builds the container.HostConfig part.
func (o *containerOptions) hostConfig(fs *pflag.FlagSet) (*container.HostConfig, error) {
	if o.swappiness != -1 && (o.swappiness < 0 || o.swappiness > 100) {
		return nil, fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.swappiness)
	}
	restart, err := parseRestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}
	if o.autoRemove && !restart.IsNone() {
		return nil, errors.New("conflicting options: cannot specify both --restart and --rm")
	}
	if o.logDriver == "none" && len(o.logOpts.values) > 0 {
		return nil, fmt.Errorf("invalid logging opts for driver %s", o.logDriver)
	}
	secOpts, masked, readonly, err := parseSecurityOpts(o.securityOpt.values)
	if err != nil {
		return nil, err
	}
	netMode := "default"
	if len(o.networks.values) > 0 {
		netMode = o.networks.values[0]
	}
	hc := &container.HostConfig{
		ContainerIDFile: o.cidfile, AutoRemove: o.autoRemove, Privileged: o.privileged,
		PublishAllPorts: o.publishAll, ReadonlyRootfs: o.readOnly, OomScoreAdj: o.oomScoreAdj,
		NetworkMode: container.NetworkMode(netMode), RestartPolicy: restart,
		CapAdd: o.capAdd.values, CapDrop: o.capDrop.values, SecurityOpt: secOpts,
		MaskedPaths: masked, ReadonlyPaths: readonly, GroupAdd: o.groupAdd.values,
		LogConfig: container.LogConfig{Type: o.logDriver, Config: kvMap(o.logOpts.values)},
		DNSSearch: nonNil(o.dnsSearch.values), DNSOptions: nonNil(o.dnsOptions.values), ExtraHosts: o.extraHosts.values,
		IpcMode: container.IpcMode(o.ipc), PidMode: container.PidMode(o.pid), UTSMode: container.UTSMode(o.uts),
		UsernsMode: container.UsernsMode(o.userns), CgroupnsMode: container.CgroupnsMode(o.cgroupns),
		ShmSize: int64(o.shmSize), Runtime: o.runtime, Mounts: o.mounts.values,
		Tmpfs: tmpfsMap(o.tmpfs.values), Sysctls: optMap(o.sysctls.values), Annotations: optMap(o.annotations.values),
		Resources: o.resources(),
	}
	if hc.DNS, err = parseDNS(o.dns.values); err != nil {
		return nil, err
	}
	if fs.Changed("init") {
		hc.Init = &o.init
	}
	return hc, nil
}

func (o *containerOptions) resources() container.Resources {
	return container.Resources{
		CgroupParent: o.cgroupParent, Memory: int64(o.memory), MemoryReservation: int64(o.memoryReservation),
		MemorySwap: int64(o.memorySwap), MemorySwappiness: &o.swappiness, OomKillDisable: &o.oomKillDisable,
		NanoCPUs: int64(o.cpus), CPUShares: o.cpuShares, CPUPeriod: o.cpuPeriod, CPUQuota: o.cpuQuota,
		CpusetCpus: o.cpusetCpus, CpusetMems: o.cpusetMem, PidsLimit: &o.pidsLimit,
		Devices: o.deviceMappings(), Ulimits: nonNilUlimits(o.ulimits.values),
		BlkioWeightDevice: []*blkiodev.WeightDevice{}, BlkioDeviceReadBps: []*blkiodev.ThrottleDevice{},
		BlkioDeviceWriteBps: []*blkiodev.ThrottleDevice{}, BlkioDeviceReadIOps: []*blkiodev.ThrottleDevice{},
		BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{},
	}
}

func (o *containerOptions) deviceMappings() []container.DeviceMapping {
	out := []container.DeviceMapping{}
	for _, v := range o.devices.values {
		d, _ := parseDevice(v) // checked by the flag
		out = append(out, d)
	}
	return out
}

// parseDevice parses --device HOST[:CONTAINER][:PERMISSIONS] as docker does.
func parseDevice(v string) (container.DeviceMapping, error) {
	d := container.DeviceMapping{CgroupPermissions: "rwm"}
	arr := strings.Split(v, ":")
	switch len(arr) {
	case 3:
		d.CgroupPermissions = arr[2]
		fallthrough
	case 2:
		if validDeviceMode(arr[1]) {
			d.CgroupPermissions = arr[1]
		} else {
			d.PathInContainer = arr[1]
		}
		fallthrough
	case 1:
		d.PathOnHost = arr[0]
	default:
		return d, fmt.Errorf("invalid device specification: %s", v)
	}
	if len(arr) == 3 && !validDeviceMode(arr[2]) || d.PathOnHost == "" {
		return d, fmt.Errorf("invalid device specification: %s", v)
	}
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	return d, nil
}

// validDeviceMode accepts a non-empty set of r, w and m, each at most once.
func validDeviceMode(mode string) bool {
	seen := map[rune]bool{}
	for _, c := range mode {
		if c != 'r' && c != 'w' && c != 'm' || seen[c] {
			return false
		}
		seen[c] = true
	}
	return mode != ""
}

// parseRestartPolicy parses "name[:max-retries]".
func parseRestartPolicy(s string) (container.RestartPolicy, error) {
	if s == "" {
		return container.RestartPolicy{}, nil
	}
	name, count, ok := strings.Cut(s, ":")
	if ok && name == "" {
		return container.RestartPolicy{}, errors.New("invalid restart policy format: no policy provided before colon")
	}
	p := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	if count != "" {
		n, err := parseInt(count)
		if err != nil {
			return container.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

// parseSecurityOpts checks --security-opt values, inlines a seccomp profile
// file as docker does, and turns systempaths=unconfined into empty masked
// and read-only path lists.
func parseSecurityOpts(opts []string) (out, masked, readonly []string, err error) {
	for _, opt := range opts {
		if opt == "systempaths=unconfined" {
			masked, readonly = []string{}, []string{}
			continue
		}
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return nil, nil, nil, fmt.Errorf("Invalid --security-opt: %q", opt) //nolint:staticcheck // docker's message
		}
		if k == "seccomp" && v != "builtin" && v != "unconfined" {
			data, err := os.ReadFile(v)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("opening seccomp profile (%s) failed: %v", v, err)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, data); err != nil {
				return nil, nil, nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %v", v, err)
			}
			opt = "seccomp=" + b.String()
		}
		out = append(out, opt)
	}
	return out, masked, readonly, nil
}

func exposePort(set network.PortSet, e string) error {
	if strings.Contains(e, ":") {
		return fmt.Errorf("invalid port format for --expose: %s", e)
	}
	pr, err := network.ParsePortRange(e)
	if err != nil {
		return fmt.Errorf("invalid range format for --expose: %s, error: %s", e, err)
	}
	for p := range pr.All() {
		set[p] = struct{}{}
	}
	return nil
}

func tmpfsMap(vals []string) map[string]string {
	if len(vals) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range vals {
		k, v, _ := strings.Cut(t, ":")
		m[k] = v
	}
	return m
}

func optMap(vals []string) map[string]string {
	if len(vals) == 0 {
		return nil
	}
	return kvMap(vals)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilUlimits(u []*container.Ulimit) []*container.Ulimit {
	if u == nil {
		return []*container.Ulimit{}
	}
	return u
}
