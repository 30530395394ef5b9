// Package testsuite is the conformance suite of content.Store: every
// implementation calls Run from its own tests. The suite is the contract's
// executable specification: verified ingest (a mismatch leaves nothing),
// reads at offsets, Info, Walk, Delete and concurrent writers of one blob.
//
// It imports content and errdefs; only _test.go files import it.
package testsuite
