#!/usr/bin/env bash
# OCI runtime validation (opencontainers/runtime-tools, the recipe of
# ../shared/recipes/runtime-validation.md) against a freshly built
# berth-runtime. Needs root.
#
# Builds the pinned runtime-tools from the module proxy once per version and
# patch (cached under ~/.cache/berth/runtime-validation), then runs:
#   1. all 58 programs as published: the summary line to compare with runc's
#      (runc 1.1.5 on this kind of host: 26 PASS, 30 FAIL, 2 SKIP of 58);
#   2. the programs that test fixes touch (runtime/validation.patch says why
#      each is wrong as published), rebuilt from the patched copy.
# Then checks the required list, runc's 26 PASS programs plus the 19 runc
# fails for reasons other than this host, and exits 1 if one does not pass.
# A required program with a fix is judged on its fixed build; the programs
# that report only through YAML diagnostics ("1..0", the hook programs) pass
# when they report no error (the recipe's counting calls that SKIP).
#
# Usage: test/conformance/runtime.sh [-v]     (-v: print every program's verdicts)
# Output: the two summary lines and the required list; raw TAP under $OUT
# (default /tmp/berth-runtime-validation).
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
RT=github.com/opencontainers/runtime-tools
RTV=v0.9.1-0.20251205004911-5e639034dcdc
PATCH=$repo/test/conformance/runtime/validation.patch
OUT=${OUT:-/tmp/berth-runtime-validation}
verbose=${1:-}

RUNC_PASS="config_updates_without_affect create default delete_only_create_resources hostname kill kill_no_effect
killsig linux_cgroups_cpus linux_cgroups_relative_cpus linux_devices linux_masked_paths linux_ns_itype
linux_ns_nopath linux_ns_path linux_ns_path_type linux_readonly_paths linux_sysctl linux_uid_mappings mounts process
process_oom_score_adj process_rlimits_fail process_user root_readonly_true state"
RUNC_FAIL_NOT_HOST="hooks prestart poststart poststart_fail poststop_fail hooks_stdin delete delete_resources pidfile
start linux_rootfs_propagation linux_seccomp linux_cgroups_devices linux_cgroups_relative_devices
linux_cgroups_pids linux_cgroups_relative_pids process_capabilities process_capabilities_fail process_rlimits"
PATCHED="start pidfile delete_resources linux_cgroups_pids linux_cgroups_relative_pids hooks prestart poststart poststart_fail
process_rlimits process_capabilities"
YAML_ONLY=" hooks prestart poststart poststart_fail poststop poststop_fail prestart_fail "

log() { echo "[runtime-validation] $*" >&2; }

# build DIR: the published programs in DIR/orig, the patched ones in DIR/fixed
build() {
	local dir=$1 work
	work=$(mktemp -d)
	trap 'rm -rf "$work"' RETURN
	mkdir -p "$work/orig/validation" "$work/fixed/validation"
	(
		set -e
		cd "$work/orig"
		go mod init rtv >/dev/null 2>&1
		go get "$RT/cmd/runtimetest@$RTV" "$RT/validation/...@$RTV" >/dev/null 2>&1
		CGO_ENABLED=0 go build -tags 'netgo osusergo' -o runtimetest "$RT/cmd/runtimetest"
		for p in $(go list "$RT/validation/..." | grep -v /validation/util); do
			go build -o "validation/$(basename "$p").t" "$p"
		done
		src=$(go list -m -f '{{.Dir}}' "$RT")
		cp "$src/rootfs-amd64.tar.gz" . && chmod u+w rootfs-amd64.tar.gz
		cp -r "$src" "$work/src" && chmod -R u+w "$work/src" && rm -rf "$work/src/vendor"
		(cd "$work/src" && patch -p1 -s <"$PATCH")
		cd "$work/fixed"
		go mod init rtvfixed >/dev/null 2>&1
		go mod edit -replace "$RT=$work/src"
		GOFLAGS=-mod=mod go get "$RT/cmd/runtimetest" "$RT/validation/..." >/dev/null 2>&1
		CGO_ENABLED=0 GOFLAGS=-mod=mod go build -tags 'netgo osusergo' -o runtimetest "$RT/cmd/runtimetest"
		for p in $PATCHED; do
			GOFLAGS=-mod=mod go build -o "validation/$p.t" "$RT/validation/$p"
		done
		cp ../orig/rootfs-amd64.tar.gz .
	) || return 1
	mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$work" "$dir" && rm -rf "$dir/src"
}

# run SETDIR OUTDIR RUNTIME: the recipe's loop and counting
run() {
	local set=$1 out=$2 rt=$3 t n rc ok skip nok plan v
	mkdir -p "$out/bundles"
	printf 'test\trc\tplan\tpass\tfail\tskip\tverdict\n' >"$out/summary.tsv"
	(
		cd "$set"
		export RUNTIME="$rt" TMPDIR="$out/bundles"
		for t in validation/*.t; do
			n=$(basename "$t" .t)
			timeout 120 "$t" >"$out/$n.tap" 2>"$out/$n.err"
			rc=$?
			ok=$(grep -cE '^ok [0-9]+' "$out/$n.tap")
			skip=$(grep -ciE '^ok [0-9]+.*# *skip' "$out/$n.tap")
			nok=$(grep -cE '^not ok [0-9]+' "$out/$n.tap")
			plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$out/$n.tap" || echo none)
			v=PASS
			if [ $rc -eq 0 ] && [ ! -s "$out/$n.tap" ]; then
				v=PASS
			elif [ $rc -ne 0 ] || [ "$nok" -gt 0 ] || [ "$plan" = none ]; then
				v=FAIL
			elif [ "$plan" = 1..0 ]; then
				if grep -q '"error"' "$out/$n.tap"; then v=FAIL; else v=SKIP; fi
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" $rc "$plan" $((ok - skip)) "$nok" "$skip" $v >>"$out/summary.tsv"
		done
	)
	cleanup "$out" "$rt"
	awk -F'\t' 'NR>1 {p+=$4; f+=$5; s+=$6; c[$7]++} END {printf "programs: %d PASS, %d FAIL, %d SKIP of %d; assertions: %d ok, %d not ok, %d skip\n", c["PASS"], c["FAIL"], c["SKIP"], NR-1, p, f, s}' "$out/summary.tsv"
}

# cleanup OUTDIR RUNTIME: what failing programs leak
cleanup() {
	local out=$1 rt=$2 m id c
	grep -o " $out/bundles/[^ ]*" /proc/mounts | sort -ru | while read -r m; do umount -l "$m" 2>/dev/null; done
	"$rt" list -q 2>/dev/null | while read -r id; do "$rt" delete -f "$id" >/dev/null 2>&1; done
	for c in /sys/fs/cgroup/*/testdir/cgrouptest /sys/fs/cgroup/*/testdir /sys/fs/cgroup/testdir/cgrouptest /sys/fs/cgroup/testdir; do
		rmdir "$c" 2>/dev/null
	done
	rm -rf "$out/bundles"
}

verdict() { awk -F'\t' -v n="$2" '$1 == n {print $7}' "$1/summary.tsv"; }

[ "$(id -u)" = 0 ] || { log "needs root"; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/berth/runtime-validation/$RTV-$(sha256sum "$PATCH" | cut -c1-12)
if [ ! -x "$cache/fixed/validation/start.t" ]; then
	log "building runtime-tools $RTV (module proxy) into $cache"
	build "$cache" || { log "build failed"; exit 1; }
fi
rm -rf "$OUT" && mkdir -p "$OUT/bin"
go build -o "$OUT/bin/berth-runtime" ./cmd/berth-runtime || exit 1
# a private state root: other containers on the machine are none of our business
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$OUT/bin/berth-runtime" "$OUT/state" >"$OUT/bin/runtime"
chmod +x "$OUT/bin/runtime"

log "running the 58 published programs"
line1=$(run "$cache/orig" "$OUT/orig" "$OUT/bin/runtime")
log "running the $(echo $PATCHED | wc -w) fixed programs"
line2=$(run "$cache/fixed" "$OUT/fixed" "$OUT/bin/runtime")
echo "runtime validation, published programs: $line1"
echo "runtime validation, fixed programs (test/conformance/runtime/validation.patch): $line2"
failed=0
for n in $RUNC_PASS $RUNC_FAIL_NOT_HOST; do
	orig=$(verdict "$OUT/orig" "$n")
	v=$orig note=""
	if [[ " $(echo $PATCHED) " == *" $n "* ]]; then
		v=$(verdict "$OUT/fixed" "$n")
		note=" (fixed build; published: $orig)"
	fi
	if [ "$v" = SKIP ] && [[ "$YAML_ONLY" == *" $n "* ]]; then
		v=PASS note="$note (reports only errors: none)"
	fi
	[ "$v" = PASS ] || failed=1
	group=runc-pass
	[[ " $(echo $RUNC_FAIL_NOT_HOST) " == *" $n "* ]] && group=runc-fail
	printf 'required %-9s %-32s %s%s\n' "$group" "$n" "${v:-MISSING}" "$note"
done
if [ "$verbose" = -v ]; then
	column -t "$OUT/orig/summary.tsv"
	column -t "$OUT/fixed/summary.tsv"
fi
if [ $failed -ne 0 ]; then
	log "a required program does not pass; TAP and stderr of each under $OUT/{orig,fixed}"
	exit 1
fi
log "all $(echo $RUNC_PASS $RUNC_FAIL_NOT_HOST | wc -w) required programs pass"
