#!/usr/bin/env bash
# Berth vs dockerd, side by side in one run (medians from hyperfine; ratios
# berth/docker, lower is better). Needs root, busybox-static and hyperfine;
# dockerd is measured when installed (apt-get install docker.io), on a private
# socket and data root with --bridge none --iptables=false.
#
# Usage: bench/bench.sh            RUNS=20 N=200 MEM_N=50 SKIP="startup mem"
# Output: a table on stdout; raw files under $OUT (default /tmp/berth-bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
N=${N:-200}
MEM_N=${MEM_N:-50}
SKIP=${SKIP:-}
W=${W:-/tmp/berth-bench}
OUT=${OUT:-$W/out}
BIN=$W/bin
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
skip() { [[ " $SKIP " == *" $1 "* ]]; }

cleanup() {
	for e in berth docker; do
		[ -f "$W/$e.pid" ] && kill "$(cat "$W/$e.pid")" 2>/dev/null || true
	done
	sleep 1
	mp=$(cat "$W/berth/exec/monitor/monitor.pid" 2>/dev/null || true)
	[ -n "$mp" ] && kill "$mp" 2>/dev/null || true
}
trap cleanup EXIT

# median FILE -> median of the numbers in FILE
median() { sort -n "$1" | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# hf NAME CMD [PREPARE]: hyperfine median in ms, recorded as $OUT/NAME.ms
hf() {
	local name=$1 cmd=$2 prep=${3:-}
	local args=(--style none --warmup 3 --runs "$RUNS" --export-json "$OUT/$name.json" -N)
	[ -n "$prep" ] && args=(--style none --warmup 3 --runs "$RUNS" --export-json "$OUT/$name.json" --prepare "$prep")
	hyperfine "${args[@]}" "$cmd" >/dev/null 2>"$OUT/$name.err" || { cat "$OUT/$name.err" >&2; echo NaN >"$OUT/$name.ms"; return; }
	python3 -c 'import json,sys,statistics; print("%.1f" % (1000*statistics.median(json.load(open(sys.argv[1]))["results"][0]["times"])))' "$OUT/$name.json" >"$OUT/$name.ms"
}

pss_kb() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0))); done; echo $s; }
rss_kb() { local s=0 p; for p in "$@"; do s=$((s + $(awk '/^VmRSS:/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $s; }
# pids_of RE: processes whose name matches RE and whose command line names
# this run's directory (other engines on the machine are not counted).
pids_of() { ps -eo pid=,comm=,args= | awk -v re="$1" -v w="$W/" '$2 ~ re && index($0, w) {print $1}'; }

start_berth() {
	setsid "$BIN/berthd" -H "unix://$W/berth.sock" --data-root "$W/berth/data" --exec-root "$W/berth/exec" \
		--pidfile "$W/berth.pid" --berth-runtime "$BIN/berth-runtime" >>"$W/berthd.log" 2>&1 </dev/null &
}
start_docker() {
	echo "{}" >"$W/docker.json"
	setsid dockerd -H "unix://$W/docker.sock" --data-root "$W/docker/data" --exec-root "$W/docker/exec" \
		--pidfile "$W/docker.pid" --bridge none --iptables=false --ip-masq=false --config-file "$W/docker.json" \
		--containerd-namespace berthbench --containerd-plugins-namespace berthbenchp >>"$W/dockerd.log" 2>&1 </dev/null &
}
stop_engine() { # stop_engine E
	local p; p=$(cat "$W/$1.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
}
wait_up() { for _ in $(seq 3000); do $1 version >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }

measure() { # measure E CLI
	local e=$1 cli=$2
	log "$e: run --rm --network none busybox true"
	hf "$e-run-rm" "$cli run --rm --network none busybox true"
	log "$e: run -d + exec"
	local cid; cid=$($cli run -d --network none busybox sleep 3600)
	hf "$e-exec" "$cli exec $cid true"
	$cli rm -f "$cid" >/dev/null
	log "$e: logs of 10,000 lines"
	local lid; lid=$($cli run -d --network none busybox sh -c 'seq 1 10000')
	$cli wait "$lid" >/dev/null
	hf "$e-logs10k" "$cli logs $lid"
	$cli rm -f "$lid" >/dev/null
	log "$e: $N creates"
	local t0 t1; t0=$(date +%s%N)
	for ((i = 0; i < N; i++)); do $cli create --network none --label bench=create busybox true >/dev/null; done
	t1=$(date +%s%N)
	echo "scale=1; ($t1 - $t0) / 1000000 / $N" | bc >"$OUT/$e-create.ms"
	hf "$e-ps-a" "$cli ps -a"
	$cli rm $($cli ps -aq --filter label=bench=create) >/dev/null
}

measure_memory() { # measure_memory E CLI DAEMON_RE HELPER_RE: on a freshly started daemon
	local e=$1 cli=$2 dre=$3 hre=$4
	$cli run --rm --network none busybox true >/dev/null # the monitor/shim machinery is up
	sleep 5
	local all0; all0="$(pids_of "$dre") $(pids_of "$hre")"
	rss_kb $all0 >"$OUT/$e-idle-rss.kb"
	local idle; idle=$(pss_kb $all0)
	for ((i = 0; i < MEM_N; i++)); do $cli run -d --network none --label bench=mem busybox sleep 3600 >/dev/null; done
	sleep 5
	local all; all=$(pss_kb $(pids_of "$dre") $(pids_of "$hre"))
	echo $(((all - idle) / MEM_N)) >"$OUT/$e-per-ctr-pss.kb"
	echo "$e: idle PSS $idle kB, with $MEM_N containers $all kB" >>"$OUT/memory.txt"
	$cli rm -f $($cli ps -aq --filter label=bench=mem) >/dev/null
}

measure_startup() { # measure_startup E CLI
	local e=$1 cli=$2 t0 t1
	: >"$OUT/$e-startup.list"
	for _ in 1 2 3 4 5; do
		stop_engine "$e"; sleep 0.5
		t0=$(date +%s%N); "start_$e"; wait_up "$cli"; t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$OUT/$e-startup.list"
	done
	median "$OUT/$e-startup.list" >"$OUT/$e-startup.ms"
}

main() {
	rm -rf "$W"; mkdir -p "$OUT" "$BIN"
	for c in berthd berth berth-runtime berth-init; do go build -o "$BIN/$c" "./cmd/$c"; done
	./scripts/mkrootfs.sh "$W/rootfs" "$W/busybox.tar" >/dev/null
	local engines=(berth)
	command -v dockerd >/dev/null && engines+=(docker)
	for e in "${engines[@]}"; do
		local cli="$BIN/berth -H unix://$W/berth.sock"
		[ "$e" = docker ] && cli="/usr/local/bin/docker -H unix://$W/docker.sock"
		"start_$e"; wait_up "$cli" || { log "$e did not start"; exit 1; }
		$cli import -c 'CMD ["sh"]' "$W/busybox.tar" busybox:latest >/dev/null
		measure "$e" "$cli"
		skip startup || measure_startup "$e" "$cli"
		if ! skip mem; then
			if [ "$e" = berth ]; then measure_memory berth "$cli" '^berthd$' '^berth-runtime$'
			else measure_memory docker "$cli" '^(dockerd|containerd)$' '^containerd-shim'; fi
		fi
		stop_engine "$e"
	done
	report "${engines[@]}"
}

report() {
	printf '%-34s %12s %12s %8s\n' metric berth docker ratio
	local m u b d
	for m in run-rm:ms exec:ms logs10k:ms create:ms ps-a:ms startup:ms idle-rss:kb per-ctr-pss:kb; do
		u=${m#*:}; m=${m%:*}
		b=$(cat "$OUT/berth-$m.$u" 2>/dev/null || echo -)
		d=$(cat "$OUT/docker-$m.$u" 2>/dev/null || echo -)
		r=-
		[[ "$b" =~ ^[0-9.]+$ && "$d" =~ ^[0-9.]+$ ]] && r=$(echo "scale=3; $b / $d" | bc)
		printf '%-34s %12s %12s %8s\n' "$m ($u)" "$b" "$d" "$r"
	done
}

main "$@"
