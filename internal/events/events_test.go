package events

import (
	"testing"
	"time"

	"github.com/berthproject/berth/api"
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

func TestMatch(t *testing.T) {
	c := msg(events.ContainerEventType, events.ActionStart, "abcdef", map[string]string{"name": "web", "image": "busybox", "a": "b"})
	img := msg(events.ImageEventType, events.ActionTag, "sha256:1", map[string]string{"name": "busybox:latest"})
	for _, tc := range []struct {
		filter []string
		m      events.Message
		want   bool
	}{
		{nil, c, true},
		{[]string{"type=container"}, c, true},
		{[]string{"type=image"}, c, false},
		{[]string{"container=web"}, c, true},
		{[]string{"container=abc"}, c, true},
		{[]string{"container=zzz"}, c, false},
		{[]string{"event=start"}, c, true},
		{[]string{"event=die"}, c, false},
		{[]string{"label=a=b"}, c, true},
		{[]string{"label=a=c"}, c, false},
		{[]string{"image=busybox"}, c, true},
		{[]string{"image=busybox:latest"}, img, true},
		{[]string{"container=web"}, img, false},
	} {
		f, err := api.NewFilters(tc.filter...)
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(f, tc.m); got != tc.want {
			t.Errorf("Match(%v, %s %s) = %v, want %v", tc.filter, tc.m.Type, tc.m.Action, got, tc.want)
		}
	}
}
