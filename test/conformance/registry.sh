#!/usr/bin/env bash
# OCI distribution-spec conformance of berth-registry: builds the pinned v2
# and classic suites (module proxy; cached under the user cache dir), runs
# them against berth-registry on 127.0.0.1:<free port> with filesystem
# storage, and prints their summary lines. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test -count=1 -timeout 10m -v -run '^TestRegistryConformance$' ./test/conformance/registry "$@" >"$log" 2>&1
rc=$?
grep -E 'conformance_test.go:[0-9]+: (v2 suite|classic suite)' "$log" | sed 's/^ *conformance_test.go:[0-9]*: /registry conformance: /'
if [ $rc -ne 0 ]; then
	cat "$log"
fi
tail -1 "$log"
exit $rc
