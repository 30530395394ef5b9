package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/moby/moby/api/types/events"
)

func TestEventsStream(t *testing.T) {
	e, ts := newTestServer(t)
	create(t, ts, "before", false, "echo") // recorded before the subscription

	since := fmt.Sprint(time.Now().Add(-time.Minute).Unix())
	req, _ := http.NewRequestWithContext(t.Context(), "GET",
		ts.URL+"/v1.50/events?since="+since+`&filters={"type":{"container":true},"event":{"create":true,"start":true}}`, nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	br := bufio.NewReader(resp.Body)
	next := func() map[string]any {
		t.Helper()
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		return m
	}
	if m := next(); m["Action"] != "create" || m["status"] != "create" || m["from"] != "busybox" || m["id"] == nil {
		t.Errorf("past event with legacy fields: %v", m)
	}
	id := create(t, ts, "after", false, "echo", "x")
	if m := next(); m["Action"] != "create" || m["id"] != id {
		t.Errorf("live create: %v", m)
	}
	call(t, ts, "POST", "/containers/"+id+"/start", nil)
	if m := next(); m["Action"] != "start" { // "die" is filtered out
		t.Errorf("live start: %v", m)
	}
	_ = e
}

func TestEventsUntilAndErrors(t *testing.T) {
	_, ts := newTestServer(t)
	create(t, ts, "c", false, "echo")
	now := time.Now()
	q := fmt.Sprintf("/events?since=%d&until=%d.000000001", now.Add(-time.Minute).Unix(), now.Add(time.Second).Unix())
	resp, body := call(t, ts, "GET", q, nil, "Accept", "application/x-ndjson")
	wantStatus(t, resp, body, 200, "")
	if resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("negotiated Content-Type %q", resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m["Action"] != "create" || m["status"] != nil {
		t.Errorf("events until (no legacy fields at API %s): %s", api.MaxVersion, body)
	}
	for path, msg := range map[string]string{
		"/events?since=abc":         "invalid value for 'since'",
		"/events?until=1.x":         "invalid value for 'until'",
		"/events?since=20&until=10": "`since` time (20) cannot be after `until` time (10)",
		"/events?filters=nope":      "invalid filter",
	} {
		resp, body = call(t, ts, "GET", path, nil)
		wantStatus(t, resp, body, 400, msg)
	}
}

func TestMatchEvent(t *testing.T) {
	ctr := events.Message{Type: events.ContainerEventType, Action: "exec_start: sh -c ls", Scope: "local",
		Actor: events.Actor{ID: "abcdef123", Attributes: map[string]string{"name": "web", "image": "docker.io/library/busybox:1", "tier": "front"}}}
	img := events.Message{Type: events.ImageEventType, Action: events.ActionTag,
		Actor: events.Actor{ID: "sha256:1234", Attributes: map[string]string{"name": "busybox:latest"}}}
	tests := []struct {
		filters string
		ev      events.Message
		want    bool
	}{
		{`{}`, ctr, true},
		{`{"type":{"image":true}}`, ctr, false},
		{`{"container":{"abc":true}}`, ctr, true},
		{`{"container":{"we":true}}`, ctr, true},
		{`{"container":{"db":true}}`, ctr, false},
		{`{"event":{"exec_start":true}}`, ctr, true},
		{`{"event":{"exec_die":true}}`, ctr, false},
		{`{"image":{"busybox":true}}`, ctr, true},
		{`{"image":{"busybox":true}}`, img, true},
		{`{"image":{"alpine":true}}`, img, false},
		{`{"label":{"tier=front":true}}`, ctr, true},
		{`{"label":{"tier=back":true}}`, ctr, false},
		{`{"scope":{"swarm":true}}`, ctr, false},
		{`{"volume":{"v1":true}}`, ctr, false},
	}
	for _, tt := range tests {
		f, err := api.ParseFilters(tt.filters)
		if err != nil {
			t.Fatal(err)
		}
		if got := matchEvent(f, tt.ev); got != tt.want {
			t.Errorf("matchEvent(%s, %s %s) = %v, want %v", tt.filters, tt.ev.Type, tt.ev.Action, got, tt.want)
		}
	}
}
