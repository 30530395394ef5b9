package image

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// changeHandlers are the Dockerfile instructions `docker import --change`
// (and `docker commit --change`) accept, as in dockerd's validCommitCommands.
var changeHandlers = map[string]func(c *changeState, rest string) error{
	"CMD":         (*changeState).cmd,
	"ENTRYPOINT":  (*changeState).entrypoint,
	"ENV":         (*changeState).env,
	"EXPOSE":      (*changeState).expose,
	"HEALTHCHECK": (*changeState).healthcheck,
	"LABEL":       (*changeState).label,
	"ONBUILD":     (*changeState).onbuild,
	"STOPSIGNAL":  (*changeState).stopsignal,
	"USER":        (*changeState).user,
	"VOLUME":      (*changeState).volume,
	"WORKDIR":     (*changeState).workdir,
}

// changeState is a config being changed.
type changeState struct {
	cfg    *dockerspec.DockerOCIImageConfig
	cmdSet bool // CMD given in this batch: ENTRYPOINT keeps it
}

// ApplyChanges applies Dockerfile instructions (the values of --change) to
// cfg, the way dockerd's BuildFromConfig does. Lines may continue with a
// trailing backslash; blank lines and comments are skipped. An unknown or
// malformed instruction fails with errdefs.ErrInvalidArgument and leaves
// cfg partly changed.
func ApplyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string) error {
	st := &changeState{cfg: cfg}
	for _, line := range logicalLines(strings.Join(changes, "\n")) {
		keyword, rest := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			keyword, rest = line[:i], line[i:]
		}
		keyword = strings.ToUpper(keyword)
		h, ok := changeHandlers[keyword]
		if !ok {
			return fmt.Errorf("%s is not a valid change command: %w", strings.ToLower(keyword), errdefs.ErrInvalidArgument)
		}
		if err := h(st, strings.TrimSpace(rest)); err != nil {
			return fmt.Errorf("%s: %v: %w", keyword, err, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// logicalLines joins backslash-continued lines and drops blanks and comments.
func logicalLines(text string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if cur.Len() == 0 && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			continue
		}
		cur.WriteString(l)
		out = append(out, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// command parses the exec (JSON array) or shell form of CMD/ENTRYPOINT.
func (c *changeState) command(rest string) []string {
	if args, ok := jsonArray(rest); ok {
		return args
	}
	if rest == "" {
		return nil
	}
	shell := c.cfg.Shell
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	return append(append([]string{}, shell...), rest)
}

func jsonArray(s string) ([]string, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	var args []string
	if err := json.Unmarshal([]byte(s), &args); err != nil {
		return nil, false
	}
	return args, true
}

func (c *changeState) cmd(rest string) error {
	c.cfg.Cmd = c.command(rest)
	c.cfg.ArgsEscaped = false
	c.cmdSet = true
	return nil
}

func (c *changeState) entrypoint(rest string) error {
	c.cfg.Entrypoint = c.command(rest)
	c.cfg.ArgsEscaped = false
	if !c.cmdSet {
		c.cfg.Cmd = nil
	}
	return nil
}

// keyValues parses "k=v k2='v 2'" (or the legacy "k value with spaces").
func (c *changeState) keyValues(rest string) ([][2]string, error) {
	words, err := splitWords(rest, c.cfg.Env, true)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("requires at least one argument")
	}
	if !strings.Contains(words[0], "=") {
		key, value, _ := strings.Cut(rest, " ")
		v, err := processWord(strings.TrimSpace(value), c.cfg.Env)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(value) == "" {
			return nil, fmt.Errorf("must have two arguments")
		}
		return [][2]string{{key, v}}, nil
	}
	var out [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("syntax error - can't find = in %q. Must be of the form: name=value", w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func (c *changeState) env(rest string) error {
	kvs, err := c.keyValues(rest)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		entry := kv[0] + "=" + kv[1]
		replaced := false
		for i, e := range c.cfg.Env {
			if k, _, _ := strings.Cut(e, "="); k == kv[0] {
				c.cfg.Env[i], replaced = entry, true
				break
			}
		}
		if !replaced {
			c.cfg.Env = append(c.cfg.Env, entry)
		}
	}
	return nil
}

func (c *changeState) label(rest string) error {
	kvs, err := c.keyValues(rest)
	if err != nil {
		return err
	}
	if c.cfg.Labels == nil {
		c.cfg.Labels = map[string]string{}
	}
	for _, kv := range kvs {
		c.cfg.Labels[kv[0]] = kv[1]
	}
	return nil
}

func (c *changeState) expose(rest string) error {
	words, err := splitWords(rest, c.cfg.Env, true)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return fmt.Errorf("requires at least one argument")
	}
	for _, w := range words {
		ports, err := portSpecs(w)
		if err != nil {
			return err
		}
		if c.cfg.ExposedPorts == nil {
			c.cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range ports {
			c.cfg.ExposedPorts[p] = struct{}{}
		}
	}
	return nil
}

// portSpecs expands "80", "80/udp" or "8000-8002/tcp" into "port/proto" keys.
func portSpecs(spec string) ([]string, error) {
	ports, proto, hasProto := strings.Cut(spec, "/")
	proto = strings.ToLower(proto)
	if !hasProto {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, fmt.Errorf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	start, err1 := strconv.ParseUint(lo, 10, 16)
	end := start
	var err2 error
	if isRange {
		end, err2 = strconv.ParseUint(hi, 10, 16)
	}
	if err1 != nil || err2 != nil || end < start {
		return nil, fmt.Errorf("invalid containerPort: %s", ports)
	}
	var out []string
	for p := start; p <= end; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

func (c *changeState) user(rest string) error {
	u, err := processWord(rest, c.cfg.Env)
	if err != nil {
		return err
	}
	if u == "" {
		return fmt.Errorf("requires exactly one argument")
	}
	c.cfg.User = u
	return nil
}

func (c *changeState) volume(rest string) error {
	vols, ok := jsonArray(rest)
	if !ok {
		var err error
		if vols, err = splitWords(rest, c.cfg.Env, true); err != nil {
			return err
		}
	}
	if len(vols) == 0 {
		return fmt.Errorf("requires at least one argument")
	}
	for _, v := range vols {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("VOLUME specified can not be an empty string")
		}
		if c.cfg.Volumes == nil {
			c.cfg.Volumes = map[string]struct{}{}
		}
		c.cfg.Volumes[v] = struct{}{}
	}
	return nil
}

func (c *changeState) workdir(rest string) error {
	dir, err := processWord(rest, c.cfg.Env)
	if err != nil {
		return err
	}
	if dir == "" {
		return fmt.Errorf("requires exactly one argument")
	}
	if !path.IsAbs(dir) {
		cur := c.cfg.WorkingDir
		if cur == "" {
			cur = "/"
		}
		dir = path.Join(cur, dir)
	}
	c.cfg.WorkingDir = path.Clean(dir)
	return nil
}

func (c *changeState) onbuild(rest string) error {
	trigger, _, _ := strings.Cut(rest, " ")
	switch strings.ToUpper(trigger) {
	case "":
		return fmt.Errorf("requires at least one argument")
	case "ONBUILD":
		return fmt.Errorf("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
	case "FROM", "MAINTAINER":
		return fmt.Errorf("%s isn't allowed as an ONBUILD trigger", strings.ToUpper(trigger))
	}
	c.cfg.OnBuild = append(c.cfg.OnBuild, rest)
	return nil
}

func (c *changeState) stopsignal(rest string) error {
	sig, err := processWord(rest, c.cfg.Env)
	if err != nil {
		return err
	}
	if !validSignal(sig) {
		return fmt.Errorf("invalid signal: %s", sig)
	}
	c.cfg.StopSignal = sig
	return nil
}

// healthcheck parses "[--interval=D ...] CMD command" or "NONE".
func (c *changeState) healthcheck(rest string) error {
	hc := &dockerspec.HealthcheckConfig{}
	for strings.HasPrefix(rest, "--") {
		flag, after, _ := strings.Cut(rest, " ")
		rest = strings.TrimSpace(after)
		if err := healthFlag(hc, flag); err != nil {
			return err
		}
	}
	kind, args, _ := strings.Cut(rest, " ")
	args = strings.TrimSpace(args)
	switch strings.ToUpper(kind) {
	case "NONE":
		if args != "" || hc.Interval != 0 || hc.Timeout != 0 || hc.Retries != 0 || hc.StartPeriod != 0 {
			return fmt.Errorf("HEALTHCHECK NONE takes no arguments")
		}
		hc = &dockerspec.HealthcheckConfig{Test: []string{"NONE"}}
	case "CMD":
		if exec, ok := jsonArray(args); ok {
			hc.Test = append([]string{"CMD"}, exec...)
		} else if args != "" {
			hc.Test = []string{"CMD-SHELL", args}
		} else {
			return fmt.Errorf("Missing command after HEALTHCHECK CMD")
		}
	default:
		return fmt.Errorf("Unknown type %q in HEALTHCHECK (try CMD)", kind)
	}
	c.cfg.Healthcheck = hc
	return nil
}

func healthFlag(hc *dockerspec.HealthcheckConfig, flag string) error {
	name, value, ok := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	if !ok {
		return fmt.Errorf("missing a value on flag: --%s", name)
	}
	if name == "retries" {
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("--retries cannot be negative (%s)", value)
		}
		hc.Retries = n
		return nil
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		return fmt.Errorf("--%s: %v", name, err)
	}
	if d != 0 && d < time.Millisecond {
		return fmt.Errorf("Interval %q cannot be less than 1ms", name)
	}
	switch name {
	case "interval":
		hc.Interval = d
	case "timeout":
		hc.Timeout = d
	case "start-period":
		hc.StartPeriod = d
	case "start-interval":
		hc.StartInterval = d
	default:
		return fmt.Errorf("unknown flag: --%s", name)
	}
	return nil
}

var signalNames = map[string]bool{
	"ABRT": true, "ALRM": true, "BUS": true, "CHLD": true, "CONT": true, "FPE": true, "HUP": true, "ILL": true,
	"INT": true, "IO": true, "IOT": true, "KILL": true, "PIPE": true, "POLL": true, "PROF": true, "PWR": true,
	"QUIT": true, "SEGV": true, "STKFLT": true, "STOP": true, "SYS": true, "TERM": true, "TRAP": true,
	"TSTP": true, "TTIN": true, "TTOU": true, "URG": true, "USR1": true, "USR2": true, "VTALRM": true,
	"WINCH": true, "XCPU": true, "XFSZ": true,
}

// validSignal accepts a number (1-64), a name with or without SIG, and
// RTMIN+n / RTMAX-n.
func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0 && n <= 64
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if signalNames[name] {
		return true
	}
	for _, rt := range []string{"RTMIN+", "RTMAX-"} {
		if n, ok := strings.CutPrefix(name, rt); ok {
			v, err := strconv.Atoi(n)
			return err == nil && v >= 0 && v <= 30
		}
	}
	return name == "RTMIN" || name == "RTMAX"
}
