// Package driver is the storage-driver contract of berth-registry (the
// Driver interface), the path rules every driver enforces, and nothing else.
//
// Place in the run flow: internal/registry builds one implementation
// (driver/filesystem or driver/inmemory) from its configuration and hands it
// to internal/registry/storage, which lays out blobs, repositories and
// uploads on top of it (the layout is drawn in storage/paths.go). The
// contract is specified by the shared conformance suite in driver/testsuite,
// which both implementations run.
//
// Imports: errdefs only.
package driver
