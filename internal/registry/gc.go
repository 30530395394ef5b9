package registry

import (
	"context"

	"github.com/berthproject/berth/internal/registry/storage"
)

// storageLocker is implemented by drivers with a cross-process lock
// (filesystem): read-write registries share it, garbage collection takes it
// alone.
type storageLocker interface {
	Lock(exclusive bool) (release func(), err error)
}

// lockStorage takes the storage lock when the driver has one.
func (r *Registry) lockStorage(exclusive bool) (func(), error) {
	if l, ok := r.store.Driver().(storageLocker); ok {
		return l.Lock(exclusive)
	}
	return func() {}, nil
}

// GarbageCollect runs mark and sweep on the registry's storage. It takes
// the storage lock exclusively, so it fails (errdefs.ErrConflict) while a
// read-write registry serves the same storage; read-only registries may
// keep serving.
func (r *Registry) GarbageCollect(ctx context.Context, opts storage.GCOptions) (storage.GCReport, error) {
	release, err := r.lockStorage(true)
	if err != nil {
		return storage.GCReport{}, err
	}
	defer release()
	return r.store.GarbageCollect(ctx, opts)
}
