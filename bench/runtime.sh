#!/usr/bin/env bash
# berth-runtime vs runc: `run` of one busybox bundle running /bin/true, both
# runtimes on the same bundle in the same hyperfine invocation (alternating
# is not possible in hyperfine, so the two commands run back to back and the
# ratio of the medians is what to read). Needs root, busybox-static, runc and
# hyperfine.
#
# Usage: bench/runtime.sh                RUNS=50 RUNC=/usr/sbin/runc BIN=<prebuilt berth-runtime>
#        SECCOMP=FILE: put FILE (a linux.seccomp object) in the bundle, SECCOMP=docker: Docker's
#        default profile as internal/oci resolves it; both runtimes then load it on every run
# Output: hyperfine's table and one line "runtime run /bin/true: berth X ms, runc Y ms, ratio Z".
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
RUNC=${RUNC:-/usr/sbin/runc}
W=${W:-/tmp/berth-bench-runtime}
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
mkdir -p "$W"
BIN=${BIN:-}
if [ -z "$BIN" ]; then
	BIN=$W/berth-runtime
	go build -o "$BIN" ./cmd/berth-runtime
fi
if [ "${SECCOMP:-}" = docker ]; then
	go run ./bench/seccompprofile >"$W/seccomp.json"
	SECCOMP=$W/seccomp.json
fi
B=$W/bundle
rm -rf "$B"
mkdir -p "$B"
./scripts/mkrootfs.sh "$B/rootfs" "$W/rootfs.tar" >/dev/null
(cd "$B" && "$RUNC" spec)
python3 - "$B/config.json" "${SECCOMP:-}" <<'P'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d['process']['args'] = ['/bin/true']; d['process']['terminal'] = False
if sys.argv[2]:
    d['linux']['seccomp'] = json.load(open(sys.argv[2]))
json.dump(d, open(p, 'w'), indent=2)
P
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$W/result.json" \
	-n berth-runtime "$BIN --root $W/state-berth run -b $B bench-b" \
	-n runc "$RUNC --root $W/state-runc run -b $B bench-b"
python3 - "$W/result.json" <<'P'
import json, statistics, sys
r = {x["command"]: 1000 * statistics.median(x["times"]) for x in json.load(open(sys.argv[1]))["results"]}
b, c = r["berth-runtime"], r["runc"]
print("runtime run /bin/true (median): berth-runtime %.1f ms, runc %.1f ms, ratio %.2f" % (b, c, b / c))
P
