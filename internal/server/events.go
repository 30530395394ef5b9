package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/events"
)

// eventsQuery is the decoded GET /events query.
type eventsQuery struct {
	since, until time.Time
	filters      api.Filters
}

func parseEventsQuery(r *http.Request) (eventsQuery, error) {
	q := r.URL.Query()
	var eq eventsQuery
	var err error
	if eq.since, err = parseUnixTimestamp(q.Get("since")); err != nil {
		return eq, invalidf("invalid value for 'since': %v", err)
	}
	if eq.until, err = parseUnixTimestamp(q.Get("until")); err != nil {
		return eq, invalidf("invalid value for 'until': %v", err)
	}
	if !eq.until.IsZero() && eq.until.Before(eq.since) {
		return eq, invalidf("`since` time (%s) cannot be after `until` time (%s)", q.Get("since"), q.Get("until"))
	}
	eq.filters, err = api.ParseFilters(q.Get("filters"))
	return eq, err
}

func (eq eventsQuery) match(ev events.Message) bool {
	return eventInRange(ev, eq.since, eq.until) && matchEvent(eq.filters, ev)
}

// getEvents answers GET /events: past events from since, then live ones
// until until (or forever), one JSON document per line, each flushed.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) error {
	eq, err := parseEventsQuery(r)
	if err != nil {
		return err
	}
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	past, live, unsubscribe := s.opts.Events.Subscribe(eq.since)
	defer unsubscribe()
	enc := newEventEncoder(w, r)
	for _, ev := range past {
		if eq.match(ev) {
			if err := enc.encode(ev); err != nil {
				return err
			}
		}
	}
	if !eq.until.IsZero() && eq.until.Before(time.Now()) {
		return nil
	}
	var timeout <-chan time.Time
	if !eq.until.IsZero() {
		t := time.NewTimer(time.Until(eq.until))
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case ev, ok := <-live:
			if !ok {
				return nil
			}
			if eq.match(ev) {
				if err := enc.encode(ev); err != nil {
					return err
				}
			}
		case <-timeout:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// eventEncoder writes events in the media type the client accepts, with
// the legacy fields old clients need, flushing each.
type eventEncoder struct {
	w          http.ResponseWriter
	enc        *json.Encoder
	seq        bool // application/json-seq: RS before each document
	legacy     bool // API < 1.52: add id, status, from
	skipCreate bool // API < 1.46: no image create events
}

func newEventEncoder(w http.ResponseWriter, r *http.Request) *eventEncoder {
	ct := types.MediaTypeJSONLines
	if versionLess(r, "1.52") {
		ct = types.MediaTypeJSON
	}
	if a := acceptStrict(r, types.MediaTypeJSONLines, types.MediaTypeNDJSON, types.MediaTypeJSONSequence); a != "" {
		ct = a
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &eventEncoder{w: w, enc: enc, seq: ct == types.MediaTypeJSONSequence,
		legacy: versionLess(r, "1.52"), skipCreate: versionLess(r, "1.46")}
}

func (e *eventEncoder) encode(ev events.Message) error {
	if e.skipCreate && ev.Type == events.ImageEventType && ev.Action == events.ActionCreate {
		return nil
	}
	if e.seq {
		if _, err := e.w.Write([]byte{0x1e}); err != nil {
			return err
		}
	}
	var v any = &ev
	if e.legacy {
		v = legacyEvent(ev)
	}
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	return http.NewResponseController(e.w).Flush()
}

// legacyEvent adds the fields API < 1.52 clients read (the docker CLI up to
// v25 panics without them).
func legacyEvent(ev events.Message) any {
	switch ev.Type {
	case events.ContainerEventType:
		return legacyJSON{base: &ev, extra: map[string]any{
			"id": ev.Actor.ID, "status": ev.Action, "from": ev.Actor.Attributes["image"],
		}}
	case events.ImageEventType:
		return legacyJSON{base: &ev, extra: map[string]any{"id": ev.Actor.ID, "status": ev.Action}}
	}
	return &ev
}

// acceptStrict returns the first media type of the Accept header that is
// one of offers, ignoring wildcards.
func acceptStrict(r *http.Request, offers ...string) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		for _, o := range offers {
			if strings.EqualFold(strings.TrimSpace(mt), o) {
				return o
			}
		}
	}
	return ""
}

func eventInRange(ev events.Message, since, until time.Time) bool {
	t := eventTime(ev)
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until))
}

func eventTime(ev events.Message) time.Time {
	if ev.TimeNano != 0 {
		return time.Unix(0, ev.TimeNano)
	}
	return time.Unix(ev.Time, 0)
}

// matchEvent reports whether ev passes the /events filters, with dockerd's
// semantics: names match by prefix of the actor's ID or name attribute,
// images by ID, reference or repository, labels by the actor's attributes.
func matchEvent(f api.Filters, ev events.Message) bool {
	if !matchAction(f, string(ev.Action)) || !f.Match("type", string(ev.Type)) || !f.Match("scope", ev.Scope) {
		return false
	}
	for _, t := range []events.Type{events.DaemonEventType, events.ContainerEventType,
		events.PluginEventType, events.VolumeEventType, events.NetworkEventType,
		events.ServiceEventType, events.NodeEventType, events.SecretEventType, events.ConfigEventType} {
		if !fuzzyMatch(f, string(t), ev.Actor.ID) && !fuzzyMatch(f, string(t), ev.Actor.Attributes["name"]) {
			return false
		}
	}
	return matchEventImage(f, ev) && f.MatchLabels("label", ev.Actor.Attributes)
}

// matchAction matches the event filter; health_status, exec_create and
// exec_start also match their "action: detail" forms.
func matchAction(f api.Filters, action string) bool {
	for _, p := range []string{"health_status", "exec_create", "exec_start"} {
		if f["event"][p] {
			return fuzzyMatch(f, "event", action)
		}
	}
	return f.Match("event", action)
}

// fuzzyMatch is true without values for key, or when one is a prefix of v.
func fuzzyMatch(f api.Filters, key, v string) bool {
	if !f.Has(key) {
		return true
	}
	for want := range f[key] {
		if strings.HasPrefix(v, want) {
			return true
		}
	}
	return false
}

func matchEventImage(f api.Filters, ev events.Message) bool {
	if !f.Has("image") {
		return true
	}
	attr := "image"
	if ev.Type == events.ImageEventType {
		attr = "name"
	}
	name := ev.Actor.Attributes[attr]
	for _, v := range []string{ev.Actor.ID, name, familiarName(ev.Actor.ID), familiarName(name)} {
		if f["image"][v] {
			return true
		}
	}
	return false
}

// familiarName strips the tag and the default registry from an image
// reference ("docker.io/library/busybox:1" → "busybox").
func familiarName(s string) string {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return s
	}
	return reference.FamiliarName(ref)
}
