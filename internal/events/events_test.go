package events

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
)

func msg(typ events.Type, action events.Action, id string, attrs map[string]string) events.Message {
	return events.Message{Type: typ, Action: action, Actor: events.Actor{ID: id, Attributes: attrs}}
}

func TestSubscribeSinceAndLive(t *testing.T) {
	b := New()
	start := time.Now()
	b.Publish(msg(events.ContainerEventType, events.ActionCreate, "c1", nil))
	past, ch, cancel := b.Subscribe(start)
	defer cancel()
	if len(past) != 1 || past[0].Actor.ID != "c1" {
		t.Fatalf("past = %+v", past)
	}
	b.Publish(msg(events.ContainerEventType, events.ActionStart, "c1", nil))
	select {
	case m := <-ch:
		if m.Action != events.ActionStart || m.TimeNano == 0 {
			t.Fatalf("live = %+v", m)
		}
	case <-time.After(time.Second):
		t.Fatal("no live event")
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after cancel")
	}
}

func TestHistoryBounded(t *testing.T) {
	b := New()
	for range historySize + 10 {
		b.Publish(msg(events.ImageEventType, events.ActionTag, "i", nil))
	}
	past, _, cancel := b.Subscribe(time.Unix(1, 0))
	defer cancel()
	if len(past) != historySize {
		t.Fatalf("history = %d, want %d", len(past), historySize)
	}
}
