// Package testutil holds test helpers shared across packages: the run-time
// gate for privileged tests (RequirePrivileged with capability probes) and
// small temp-tree helpers. Only _test.go files import it.
package testutil
