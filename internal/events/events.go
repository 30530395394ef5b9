package events

import (
	"sync"
	"time"

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
