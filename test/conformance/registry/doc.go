// Package registry runs the OCI distribution-spec conformance suites (the
// 2026 v2 suite and the classic four-workflow suite, pinned versions built
// from the module proxy) against berth-registry with filesystem storage on
// 127.0.0.1:<free port>. test/conformance/registry.sh runs it and prints the
// suites' summary lines; scripts/test.sh calls that script.
//
// Imports: internal/registry (and, in tests, x/crypto/bcrypt).
package registry
