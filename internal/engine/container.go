package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// record is what is persisted of a container: its inspect document plus the
// few private fields the engine needs to manage it after a restart.
type record struct {
	Inspect container.InspectResponse
	// Runtime is the OCI runtime name the container was started with.
	Runtime string `json:",omitempty"`
	// ImageRef is the image reference as the user gave it (Config.Image).
	ImageRef string `json:",omitempty"`
	// SnapshotKey is the key of the container's writable snapshot.
	SnapshotKey string `json:",omitempty"`
	// ChainID is the image top layer's chain ID (the snapshot parent).
	ChainID string `json:",omitempty"`
	// Removed is set while the container is being removed.
	Removed bool `json:",omitempty"`
}

// Container is one container's live state. rec is guarded by mu; slow
// operations (start, stop, remove) are serialised by op and never hold mu.
type Container struct {
	ID string

	op sync.Mutex // serialises life-cycle operations

	mu      sync.Mutex
	rec     record
	exits   uint64        // number of exits seen (for wait next-exit)
	changed chan struct{} // closed and replaced on every state change
	removed bool          // set once the container is gone
	// stopping is set by stop/kill so an exit is not treated as a failure to restart.
	stopping bool
	// starting is non-nil while a start is in progress; exits wait for it so
	// a fast exit is never recorded before the start that caused it.
	starting chan struct{}
	// pending are attachers waiting for the container to start.
	pending []*pendingAttach
	// spec is the OCI spec of the current run (the base of exec processes).
	spec *specs.Spec

	view atomic.Pointer[container.InspectResponse]
}

func newContainer(r record) *Container {
	c := &Container{ID: r.Inspect.ID, rec: r, changed: make(chan struct{})}
	c.publish()
	return c
}

// View returns the container's current inspect document. It never blocks and
// the returned value must not be modified.
func (c *Container) View() *container.InspectResponse { return c.view.Load() }

// publish stores a fresh view of rec. Called with mu held (or before c is shared).
func (c *Container) publish() {
	v := c.rec.Inspect
	st := *v.State
	v.State = &st
	v.ExecIDs = append([]string(nil), v.ExecIDs...)
	c.view.Store(&v)
}

// update applies fn to the record under mu, then publishes the new view and
// wakes waiters. It returns a copy of the record to persist.
func (c *Container) update(fn func(r *record)) record {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(&c.rec)
	c.publish()
	close(c.changed)
	c.changed = make(chan struct{})
	return c.rec
}

// status is a consistent reading of a container's mutable state.
type status struct {
	rec      record
	exits    uint64
	changed  <-chan struct{}
	starting bool
	removed  bool
}

// status reads the container's state atomically.
func (c *Container) status() status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return status{rec: c.rec, exits: c.exits, changed: c.changed, starting: c.starting != nil, removed: c.removed}
}

// snapshot returns the record, the exit count and the change channel atomically.
func (c *Container) snapshot() (record, uint64, <-chan struct{}) {
	st := c.status()
	return st.rec, st.exits, st.changed
}

// timestamp formats t as dockerd does in inspect documents.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// zeroTime is how dockerd shows a time that never happened.
const zeroTime = "0001-01-01T00:00:00Z"
