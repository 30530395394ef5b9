#!/usr/bin/env bash
# Registry throughput and memory: berth-registry against Debian's
# docker-registry (distribution 2.8) in the same run, both on 127.0.0.1 with
# filesystem storage in temp dirs.
#
#  1. push (POST, PATCH with the whole blob, PUT ?digest= — what docker does)
#     and pull (GET) of a SIZE_MB random blob, RUNS times each, every push
#     into an empty blob store; median MiB/s and berth/docker-registry ratios.
#     berth-registry runs twice: default (fsync before acknowledging a blob)
#     and --no-sync (no fsync, like docker-registry). The three registries
#     run side by side and the runs are interleaved, so load from elsewhere
#     on the machine hits them alike; server CPU time per push and pull is
#     reported too (it does not depend on the client's speed).
#  2. peak resident memory (VmHWM) of each registry across a BIG_MB upload.
#
# Usage: bench/registry.sh          SIZE_MB=200 RUNS=5 BIG_MB=1024 bench/registry.sh
# Needs: go, curl, python3, docker-registry (apt-get install docker-registry).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-5}
BIG_MB=${BIG_MB:-1024}
REF_BIN=${REF_BIN:-docker-registry}
command -v "$REF_BIN" >/dev/null || { echo "$REF_BIN not installed" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

work=$(mktemp -d /tmp/berth-regbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/berth-registry" ./cmd/berth-registry

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "http://$1/v2/" && return 0; sleep 0.05; done; echo "registry at $1 did not start" >&2; exit 1; }

# start KIND NAME: starts a registry on a free port with storage under
# $work/NAME; sets $addr, $pid and $root.
start() {
	local kind=$1 name=$2 port
	port=$(free_port); addr=127.0.0.1:$port; root=$work/$name
	mkdir -p "$root"
	case $kind in
	docker)
		cat >"$work/$name.yml" <<-EOF
			version: 0.1
			log: {level: error, accesslog: {disabled: true}}
			storage: {filesystem: {rootdirectory: $root}, delete: {enabled: true}}
			http: {addr: $addr}
		EOF
		"$REF_BIN" serve "$work/$name.yml" >"$work/$name.log" 2>&1 &
		root=$root/docker/registry/v2 ;;
	berth) "$work/berth-registry" serve --root "$root" --addr "$addr" --no-access-log --log-level warn >"$work/$name.log" 2>&1 & ;;
	berth-nosync) "$work/berth-registry" serve --root "$root" --addr "$addr" --no-access-log --log-level warn --no-sync >"$work/$name.log" 2>&1 & ;;
	esac
	pid=$!; pids+=("$pid")
	wait_up "$addr"
}

# push ADDR REPO FILE DIGEST: docker's upload sequence; prints seconds.
push() {
	local loc t
	loc=$(curl -sf -D - -o /dev/null -X POST "http://$1/v2/$2/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:"{print $2}')
	case $loc in http*) ;; *) loc=http://$1$loc ;; esac
	t=$(curl -sf -o /dev/null -D "$work/h" -w '%{time_total}' -X PATCH -H 'Content-Type: application/octet-stream' -T "$3" "$loc")
	loc=$(tr -d '\r' <"$work/h" | awk 'tolower($1)=="location:"{print $2}')
	case $loc in http*) ;; *) loc=http://$1$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$4" ;; *) loc="$loc?digest=$4" ;; esac
	t2=$(curl -sf -o /dev/null -w '%{time_total}' -X PUT "$loc")
	python3 -c "print(round($t+$t2, 4))"
}
pull() { curl -sf -o /dev/null -w '%{time_total}' "http://$1/v2/$2/blobs/$3"; }
median() { python3 -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print(statistics.median(v))' "$@"; }
mibps() { python3 -c "print(f'{$1/$2:.0f}')"; }

# cpu PID: the process's user+system CPU time so far, in seconds.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }

blob=$work/blob
head -c $((SIZE_MB << 20)) /dev/urandom >"$blob"
dg=sha256:$(sha256sum "$blob" | cut -d' ' -f1)
echo "# registry push/pull of a $SIZE_MB MiB random blob, $RUNS runs each (interleaved), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
kinds=(docker berth berth-nosync)
declare -A ADDR PID ROOT PUSHES PULLS PUSHCPU PULLCPU
for kind in "${kinds[@]}"; do
	start "$kind" "$kind"
	ADDR[$kind]=$addr PID[$kind]=$pid ROOT[$kind]=$root
done
for r in $(seq "$RUNS"); do
	for kind in "${kinds[@]}"; do
		rm -rf "${ROOT[$kind]}/blobs"
		sync # no dirty pages of one run in the next
		c0=$(cpu "${PID[$kind]}")
		PUSHES[$kind]+=" $(push "${ADDR[$kind]}" "bench/r$r" "$blob" "$dg")"
		c1=$(cpu "${PID[$kind]}")
		PULLS[$kind]+=" $(pull "${ADDR[$kind]}" "bench/r$r" "$dg")"
		c2=$(cpu "${PID[$kind]}")
		PUSHCPU[$kind]+=" $(python3 -c "print($c1-$c0)")" PULLCPU[$kind]+=" $(python3 -c "print($c2-$c1)")"
	done
done
declare -A PUSH PULL
for kind in "${kinds[@]}"; do
	PUSH[$kind]=$(median ${PUSHES[$kind]}); PULL[$kind]=$(median ${PULLS[$kind]})
	printf '%-13s push median %6.3f s = %5s MiB/s, server CPU %.2f s (runs:%s)\n' "$kind" "${PUSH[$kind]}" \
		"$(mibps "$SIZE_MB" "${PUSH[$kind]}")" "$(median ${PUSHCPU[$kind]})" "${PUSHES[$kind]}"
	printf '%-13s pull median %6.3f s = %5s MiB/s, server CPU %.2f s (runs:%s)\n' "$kind" "${PULL[$kind]}" \
		"$(mibps "$SIZE_MB" "${PULL[$kind]}")" "$(median ${PULLCPU[$kind]})" "${PULLS[$kind]}"
done
for kind in "${kinds[@]}"; do kill "${PID[$kind]}"; wait "${PID[$kind]}" 2>/dev/null || true; done
for kind in berth berth-nosync; do
	python3 - "$kind" "${PUSH[docker]}" "${PUSH[$kind]}" "${PULL[docker]}" "${PULL[$kind]}" <<-'EOF'
		import sys
		k, dpush, bpush, dpull, bpull = sys.argv[1], *map(float, sys.argv[2:])
		print(f"{k} vs docker-registry: push {dpush/bpush:.2f}x, pull {dpull/bpull:.2f}x, push+pull {(dpush+dpull)/(bpush+bpull):.2f}x")
	EOF
done

big=$work/big
head -c $((BIG_MB << 20)) /dev/urandom >"$big"
bdg=sha256:$(sha256sum "$big" | cut -d' ' -f1)
rm -f "$blob"
echo "# peak resident memory (VmHWM) across a $BIG_MB MiB upload"
for kind in docker berth; do
	start "$kind" "$kind-mem"
	t=$(push "$addr" bench/big "$big" "$bdg")
	code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$addr/v2/bench/big/blobs/$bdg")
	hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
	printf '%-13s peak RSS %5d MiB (upload %.2f s, HEAD %s)\n' "$kind" $((hwm / 1024)) "$t" "$code"
	kill "$pid"; wait "$pid" 2>/dev/null || true
done
