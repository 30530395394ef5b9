package engine

import (
	"context"
	"fmt"
	"github.com/berthproject/berth/internal/backend"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

var listFilters = []string{"id", "name", "label", "label!", "status", "ancestor", "exited", "before", "since",
	"volume", "network", "health", "is-task", "publish", "expose"}

// Containers lists containers from their views (never blocking on a
// container operation), newest first, as dockerd.
func (e *Engine) Containers(ctx context.Context, opts backend.ListOptions) ([]container.Summary, error) {
	f := opts.Filters
	if err := f.Validate(listFilters...); err != nil {
		return nil, err
	}
	m, err := e.newMatcher(ctx, f)
	if err != nil {
		return nil, err
	}
	views := e.views()
	out := []container.Summary{}
	for _, v := range views {
		if !m.before.IsZero() && !created(v).Before(m.before) || !m.since.IsZero() && !created(v).After(m.since) {
			continue
		}
		if !opts.All && !v.State.Running && !f.Has("status") && !f.Has("exited") && opts.Limit <= 0 {
			continue
		}
		if !m.match(v) {
			continue
		}
		out = append(out, summary(v))
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
	}
	return out, nil
}

// views returns every container's view, newest first.
func (e *Engine) views() []*container.InspectResponse {
	cs := e.all()
	vs := make([]*container.InspectResponse, 0, len(cs))
	for _, c := range cs {
		vs = append(vs, c.View())
	}
	slices.SortFunc(vs, func(a, b *container.InspectResponse) int { return strings.Compare(b.Created, a.Created) })
	return vs
}

func created(v *container.InspectResponse) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v.Created)
	return t
}

// matcher holds the parsed list filters.
type matcher struct {
	f             api.Filters
	before, since time.Time
	names         []*regexp.Regexp
	ancestors     map[string]bool // image IDs of the ancestor filter
}

func (e *Engine) newMatcher(ctx context.Context, f api.Filters) (*matcher, error) {
	m := &matcher{f: f, ancestors: map[string]bool{}}
	for _, s := range f.Values("status") {
		if container.ValidateContainerState(container.ContainerState(s)) != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid filter 'status=%s'", s)
		}
	}
	for _, s := range f.Values("exited") {
		if _, err := strconv.Atoi(s); err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid filter 'exited=%s'", s)
		}
	}
	for _, n := range f.Values("name") {
		re, err := regexp.Compile(n)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid filter 'name=%s'", n)
		}
		m.names = append(m.names, re)
	}
	for _, a := range f.Values("ancestor") {
		m.ancestors[a] = true
		if img, err := e.opts.Images.Resolve(ctx, a); err == nil {
			m.ancestors[img.ID] = true
		}
	}
	for key, t := range map[string]*time.Time{"before": &m.before, "since": &m.since} {
		for _, ref := range f.Values(key) {
			c, err := e.get(ref)
			if err != nil {
				return nil, err
			}
			*t = created(c.View())
		}
	}
	return m, nil
}

func (m *matcher) match(v *container.InspectResponse) bool {
	f := m.f
	if f.Has("id") && !anyPrefix(f.Values("id"), v.ID) {
		return false
	}
	if len(m.names) > 0 && !slices.ContainsFunc(m.names, func(re *regexp.Regexp) bool {
		return re.MatchString(v.Name) || re.MatchString(strings.TrimPrefix(v.Name, "/"))
	}) {
		return false
	}
	if !f.MatchLabels("label", v.Config.Labels) || !f.MatchLabels("label!", v.Config.Labels) {
		return false
	}
	if !f.Match("status", string(v.State.Status)) {
		return false
	}
	if f.Has("exited") && (v.State.Status != container.StateExited || !f["exited"][strconv.Itoa(v.State.ExitCode)]) {
		return false
	}
	if len(m.ancestors) > 0 && !m.ancestors[v.Image] && !m.ancestors[v.Config.Image] && !anyPrefix(keys(m.ancestors), strings.TrimPrefix(v.Image, "sha256:")) {
		return false
	}
	return true
}

func anyPrefix(prefixes []string, s string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return p != "" && strings.HasPrefix(s, p) })
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// summary is the list entry of a container.
func summary(v *container.InspectResponse) container.Summary {
	s := container.Summary{
		ID:      v.ID,
		Names:   []string{v.Name},
		Image:   v.Config.Image,
		ImageID: v.Image,
		Command: command(v),
		Created: created(v).Unix(),
		Ports:   []container.PortSummary{},
		Labels:  v.Config.Labels,
		State:   v.State.Status,
		Status:  statusText(v.State),
		Mounts:  []container.MountPoint{},
		NetworkSettings: &container.NetworkSettingsSummary{
			Networks: v.NetworkSettings.Networks,
		},
	}
	s.HostConfig.NetworkMode = string(v.HostConfig.NetworkMode)
	return s
}

// command is the COMMAND column: path and args, as dockerd joins them.
func command(v *container.InspectResponse) string {
	return strings.Join(append([]string{v.Path}, v.Args...), " ")
}

// statusText is dockerd's human-readable state ("Up 2 seconds").
func statusText(s *container.State) string {
	since := func(ts string) string {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return ""
		}
		return units.HumanDuration(time.Now().UTC().Sub(t))
	}
	switch {
	case s.Running && s.Paused:
		return "Up " + since(s.StartedAt) + " (Paused)"
	case s.Running:
		return "Up " + since(s.StartedAt)
	case s.Status == container.StateRemoving:
		return "Removal In Progress"
	case s.Dead:
		return "Dead"
	case s.Status == container.StateCreated || s.StartedAt == zeroTime:
		return "Created"
	case s.FinishedAt == zeroTime:
		return ""
	}
	return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, since(s.FinishedAt))
}

// untilFilter parses the prune "until" filter: a timestamp or a duration ago.
func untilFilter(f api.Filters) (time.Time, error) {
	var until time.Time
	for _, u := range f.Values("until") {
		if d, err := time.ParseDuration(u); err == nil {
			until = time.Now().Add(-d)
			continue
		}
		if n, err := strconv.ParseInt(u, 10, 64); err == nil {
			until = time.Unix(n, 0)
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, u)
		if err != nil {
			return time.Time{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid filter 'until=%s'", u)
		}
		until = t
	}
	return until, nil
}

// ContainerInspect returns a container's inspect document (a copy of its view).
func (e *Engine) ContainerInspect(ctx context.Context, ref string, opts backend.InspectOptions) (*container.InspectResponse, error) {
	c, err := e.get(ref)
	if err != nil {
		return nil, err
	}
	v := *c.View()
	return &v, nil
}
