package server

import "github.com/berthproject/berth/internal/events"

// The daemon wires the event bus in directly; keep the two in step.
var _ EventsBackend = (*events.Bus)(nil)
