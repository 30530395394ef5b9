package daemon

import (
	"github.com/berthproject/berth/internal/engine"
	"github.com/berthproject/berth/internal/events"
	"github.com/berthproject/berth/internal/server"
)

// The engine and the event bus are the server's backends.
var (
	_ server.ContainerBackend = (*engine.Engine)(nil)
	_ server.SystemBackend    = (*engine.Engine)(nil)
	_ server.EventsBackend    = (*events.Bus)(nil)
)
