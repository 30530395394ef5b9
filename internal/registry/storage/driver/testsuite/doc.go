// Package testsuite is the storage-driver conformance suite: Run exercises
// every method of driver.Driver (atomic replacement, streaming writers that
// resume, moves, recursive deletes, lexical walks, path validation,
// cancellation) against a fresh driver per subtest. Every driver's tests call
// it; the suite is the specification of the contract.
//
// Imports: errdefs, storage/driver (and testing).
package testsuite
