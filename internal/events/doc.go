// Package events is the in-process pub/sub of engine events (container and
// image life cycle), in Docker's events.Message shape so /events can stream
// them as they are. It keeps the most recent messages for `since` queries.
//
// Filtering is the API server's business (internal/server/events.go).
//
// It imports only the moby events types.
package events
