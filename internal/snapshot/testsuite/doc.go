// Package testsuite is the conformance suite of snapshot.Snapshotter, the
// contract's executable specification: life cycle, errors by kind, layered
// content (changes, deletions, opaque directories), metadata kept across
// layers, usage, persistence across reopening and concurrency. Every
// implementation calls Run from its own test.
//
// Mounts that are one bind mount are used through their source directory, so
// the suite runs rootless for native; anything else (overlay) is really
// mounted, in a private mount namespace entered by a locked OS thread, so
// callers gate it with testutil.RequirePrivileged.
//
// It imports snapshot, mount and errdefs; only _test.go files import it.
package testsuite
