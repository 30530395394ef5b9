// Package inmemory is the in-memory storage driver of berth-registry: it
// implements driver.Driver with a map from path to bytes, for tests and for
// throw-away registries (berth-registry serve --storage inmemory). Nothing
// survives the process.
//
// Imports: errdefs, storage/driver.
package inmemory
