package events

import (
	"sync"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/moby/moby/api/types/events"
)

// historySize is how many past events are kept for `since`, as dockerd.
const historySize = 256

// Bus fans published events out to subscribers. The zero value is not usable;
// use New.
type Bus struct {
	mu      sync.Mutex
	history []events.Message
	subs    map[chan events.Message]struct{}
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: map[chan events.Message]struct{}{}}
}

// Publish records m (stamping its time if unset) and sends it to every
// subscriber. A subscriber that does not keep up loses the event rather than
// blocking the engine.
func (b *Bus) Publish(m events.Message) {
	if m.TimeNano == 0 {
		now := time.Now()
		m.Time, m.TimeNano = now.Unix(), now.UnixNano()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.history) == historySize {
		copy(b.history, b.history[1:])
		b.history = b.history[:historySize-1]
	}
	b.history = append(b.history, m)
	for ch := range b.subs {
		select {
		case ch <- m:
		default:
		}
	}
}

// Subscribe returns the recorded events at or after since (none when since is
// zero) and a channel of future events; callers filter with Match. cancel ends the
// subscription and closes the channel.
func (b *Bus) Subscribe(since time.Time) (past []events.Message, ch <-chan events.Message, cancel func()) {
	c := make(chan events.Message, 1024)
	b.mu.Lock()
	if !since.IsZero() {
		for _, m := range b.history {
			if m.TimeNano >= since.UnixNano() {
				past = append(past, m)
			}
		}
	}
	b.subs[c] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return past, c, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, c)
			b.mu.Unlock()
			close(c)
		})
	}
}

// Match reports whether m passes the /events filters: type, event (action),
// container, image, label, and the object's id or name attribute.
func Match(f api.Filters, m events.Message) bool {
	if !f.Match("type", string(m.Type)) {
		return false
	}
	if f.Has("event") && !f["event"][string(m.Action)] && !f["event"][actionBase(string(m.Action))] {
		return false
	}
	name := m.Actor.Attributes["name"]
	switch m.Type {
	case events.ContainerEventType:
		if f.Has("container") && !f["container"][m.Actor.ID] && !f["container"][name] && !prefixMatch(f["container"], m.Actor.ID) {
			return false
		}
		if f.Has("image") && !f["image"][m.Actor.Attributes["image"]] {
			return false
		}
	case events.ImageEventType:
		if f.Has("container") {
			return false
		}
		if f.Has("image") && !f["image"][m.Actor.ID] && !f["image"][name] {
			return false
		}
	}
	return f.MatchLabels("label", m.Actor.Attributes)
}

// actionBase strips the detail of actions such as "exec_start: ps".
func actionBase(a string) string {
	for i := range len(a) {
		if a[i] == ':' {
			return a[:i]
		}
	}
	return a
}

func prefixMatch(set map[string]bool, id string) bool {
	for v := range set {
		if len(v) >= 1 && len(v) <= len(id) && id[:len(v)] == v {
			return true
		}
	}
	return false
}
