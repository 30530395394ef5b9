#!/usr/bin/env bash
# Runs Berth's checks and tests: vet, then every package's tests including the
# end-to-end suite (test/e2e), which builds the binaries, starts private berthd
# instances and drives them with the real docker CLI. Privileged tests (mounts,
# namespaces, cgroups) run only with BERTH_TEST_PRIVILEGED=1 as root.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
go vet ./...
go test -count=1 -timeout 45m "$@" $(go list ./... | grep -v '/test/conformance/registry$')
# The end-to-end suite once more with runc as berthd's default runtime, so
# `--runtime runc` keeps working for everything (about a minute).
if [ "${BERTH_TEST_PRIVILEGED:-}" = 1 ] && command -v runc >/dev/null; then
	BERTH_E2E_DEFAULT_RUNTIME=runc go test -count=1 -timeout 15m "$@" ./test/e2e/
fi
# berth-registry's OCI distribution conformance; prints the suites' summary lines
./test/conformance/registry.sh "$@"
# berth-runtime against the OCI runtime validation suite (runtime-tools); prints
# its summary lines and the required programs' verdicts (needs root)
./test/conformance/runtime.sh
