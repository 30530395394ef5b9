package engine

import (
	"strings"

	"github.com/moby/moby/api/types/events"
)

// containerEvent publishes a container event with dockerd's attributes:
// the container's labels, image and name, plus extra.
func (e *Engine) containerEvent(c *Container, action events.Action, extra map[string]string) {
	v := c.View()
	attrs := map[string]string{}
	for k, val := range v.Config.Labels {
		attrs[k] = val
	}
	attrs["image"] = v.Config.Image
	attrs["name"] = strings.TrimPrefix(v.Name, "/")
	for k, val := range extra {
		attrs[k] = val
	}
	e.opts.Events.Publish(events.Message{
		Type:   events.ContainerEventType,
		Action: action,
		Actor:  events.Actor{ID: c.ID, Attributes: attrs},
		Scope:  "local",
	})
}

// ImageEvent publishes an image event (tag, untag, delete, import, load, save).
func (e *Engine) ImageEvent(action events.Action, id, name string) {
	attrs := map[string]string{}
	if name != "" {
		attrs["name"] = name
	}
	e.opts.Events.Publish(events.Message{
		Type:   events.ImageEventType,
		Action: action,
		Actor:  events.Actor{ID: id, Attributes: attrs},
		Scope:  "local",
	})
}
