#!/usr/bin/env bash
# Image distribution: push and pull of busybox plus one 200 MiB random
# layer between each engine and a docker-registry on 127.0.0.1, berthd and
# dockerd side by side in one run (issue 6, acceptance 6). The image is
# loaded from a `docker save`-format tar (uncompressed layers), so a push
# compresses the layer, as `docker push` of a built image does.
#
# Each run: both engines load the image afresh; each engine pushes (timed)
# to its own registry, started on empty storage (so no layer can be
# skipped or mounted); both remove the image and pull (timed) what dockerd
# pushed (the same blobs for both). The docker CLI drives both engines. Throughput is the
# size of the random layer over the command's wall time; medians of RUNS.
#
# Usage: bench/distribution.sh        RUNS=5 SIZE_MB=200 bench/distribution.sh
# Needs: root, go, python3, busybox-static, docker-registry; dockerd
# (apt-get install docker.io) for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-200}
W=${W:-/tmp/berth-distbench}
BIN=$W/bin
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
command -v docker-registry >/dev/null || { echo "docker-registry not installed" >&2; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$W/docker.pid" ] && kill "$(cat "$W/docker.pid")" 2>/dev/null || true
	[ -f "$W/berth.pid" ] && kill "$(cat "$W/berth.pid")" 2>/dev/null || true
	sleep 2
	mp=$(cat "$W/berth/exec/monitor/monitor.pid" 2>/dev/null || true)
	[ -n "$mp" ] && kill "$mp" 2>/dev/null || true
}
trap cleanup EXIT

# image.tar: docker save format, layers busybox and SIZE_MB random bytes.
make_image() {
	./scripts/mkrootfs.sh "$W/rootfs" "$W/busybox.tar" >/dev/null
	python3 - "$W" "$SIZE_MB" <<-'PY'
		import hashlib, io, json, os, sys, tarfile
		w, size = sys.argv[1], int(sys.argv[2]) << 20
		big = os.path.join(w, "big.tar")
		with tarfile.open(big, "w", format=tarfile.PAX_FORMAT) as t:
		    info = tarfile.TarInfo("random.bin"); info.size = size; info.mode = 0o644; info.mtime = 1600000000
		    with open("/dev/urandom", "rb") as r:
		        t.addfile(info, io.BufferedReader(r, 1 << 20))
		layers = [os.path.join(w, "busybox.tar"), big]
		diff = ["sha256:" + hashlib.sha256(open(l, "rb").read()).hexdigest() for l in layers]
		cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
		                  "rootfs": {"type": "layers", "diff_ids": diff},
		                  "history": [{"created_by": "busybox"}, {"created_by": "random"}]}).encode()
		with tarfile.open(os.path.join(w, "image.tar"), "w") as t:
		    def add(name, path=None, data=None):
		        info = tarfile.TarInfo(name); info.mode = 0o644
		        if data is not None:
		            info.size = len(data); t.addfile(info, io.BytesIO(data))
		        else:
		            info.size = os.path.getsize(path)
		            with open(path, "rb") as f: t.addfile(info, f)
		    cid = hashlib.sha256(cfg).hexdigest()
		    add(cid + ".json", data=cfg)
		    add("l0.tar", layers[0]); add("l1.tar", layers[1])
		    add("manifest.json", data=json.dumps([{"Config": cid + ".json", "RepoTags": ["bench/dist:latest"],
		                                           "Layers": ["l0.tar", "l1.tar"]}]).encode())
		os.remove(big)
	PY
}

start_registry() { # start_registry NAME PORT: on empty storage
	local name=$1 port=$2
	rm -rf "$W/registry-$name"
	mkdir -p "$W/registry-$name"
	cat >"$W/registry-$name.yml" <<-EOF
		version: 0.1
		log: {level: error, accesslog: {disabled: true}}
		storage: {filesystem: {rootdirectory: $W/registry-$name}, delete: {enabled: true}}
		http: {addr: 127.0.0.1:$port}
	EOF
	docker-registry serve "$W/registry-$name.yml" >>"$W/registry.log" 2>&1 &
	REGS+=("$!")
	pids+=("$!")
	for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && return 0; sleep 0.05; done
	echo "registry did not start" >&2; exit 1
}
stop_registries() { for p in "${REGS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done; REGS=(); }

start_engines() {
	setsid "$BIN/berthd" -H "unix://$W/berth.sock" --data-root "$W/berth/data" --exec-root "$W/berth/exec" \
		--pidfile "$W/berth.pid" --config-file "$W/empty.json" --berth-runtime "$BIN/berth-runtime" >>"$W/berthd.log" 2>&1 </dev/null &
	ENGINES=(berth)
	if command -v dockerd >/dev/null; then
		setsid dockerd -H "unix://$W/docker.sock" --data-root "$W/docker/data" --exec-root "$W/docker/exec" \
			--pidfile "$W/docker.pid" --bridge none --iptables=false --ip-masq=false --config-file "$W/empty.json" \
			--containerd-namespace berthdist --containerd-plugins-namespace berthdistp >>"$W/dockerd.log" 2>&1 </dev/null &
		ENGINES=(docker berth)
	fi
	for e in "${ENGINES[@]}"; do
		for _ in $(seq 600); do dk "$e" version >/dev/null 2>&1 && break; sleep 0.05; done
	done
}

dk() { local e=$1; shift; DOCKER_HOST="unix://$W/$e.sock" DOCKER_CONFIG="$W/cli-$e" docker "$@"; }

# timed E ARGS...: wall seconds of `docker ARGS` against engine E.
timed() {
	local e=$1 t0 t1; shift
	t0=$(date +%s%N)
	dk "$e" "$@" >>"$W/$e-cli.log" 2>&1 || { echo "$e: docker $* failed:" >&2; tail -5 "$W/$e-cli.log" >&2; exit 1; }
	t1=$(date +%s%N)
	python3 -c "print(($t1 - $t0) / 1e9)"
}

clean() { # remove every bench image from engine E
	local e=$1
	dk "$e" images --format '{{.Repository}}:{{.Tag}}' | grep -E 'bench/|/bench' | xargs -r docker -H "unix://$W/$e.sock" rmi -f >/dev/null 2>&1 || true
	dk "$e" image prune -af >/dev/null 2>&1 || true
}

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

main() {
	rm -rf "$W"; mkdir -p "$BIN"; echo '{}' >"$W/empty.json"
	for c in berthd berth berth-runtime; do go build -o "$BIN/$c" "./cmd/$c"; done
	log "making the image (busybox + $SIZE_MB MiB random layer)"
	make_image
	free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
	declare -A PORT
	start_engines
	for e in "${ENGINES[@]}"; do PORT[$e]=$(free_port); done
	declare -A PUSH PULL
	REGS=()
	for r in $(seq "$RUNS"); do
		for e in "${ENGINES[@]}"; do clean "$e"; dk "$e" load -q -i "$W/image.tar" >/dev/null; done
		# One registry per engine, emptied each run: nothing to skip or mount.
		for e in "${ENGINES[@]}"; do start_registry "$e" "${PORT[$e]}"; done
		for e in "${ENGINES[@]}"; do
			dk "$e" tag bench/dist:latest "127.0.0.1:${PORT[$e]}/bench/$e:r$r"
			sync
			PUSH[$e]+=" $(timed "$e" push "127.0.0.1:${PORT[$e]}/bench/$e:r$r")"
		done
		src=${ENGINES[0]}
		for e in "${ENGINES[@]}"; do
			clean "$e"; sync
			PULL[$e]+=" $(timed "$e" pull "127.0.0.1:${PORT[$src]}/bench/$src:r$r")"
		done
		stop_registries
		log "run $r done"
	done
	echo "# push/pull of busybox + $SIZE_MB MiB random layer, docker CLI against each engine, registry docker-registry on 127.0.0.1, $RUNS runs, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
	for e in "${ENGINES[@]}"; do
		local push pull
		push=$(median ${PUSH[$e]}); pull=$(median ${PULL[$e]})
		printf '%-6s push %6.2f s = %5.0f MiB/s (runs:%s)\n' "$e" "$push" "$(python3 -c "print($SIZE_MB/$push)")" "${PUSH[$e]}"
		printf '%-6s pull %6.2f s = %5.0f MiB/s (runs:%s)\n' "$e" "$pull" "$(python3 -c "print($SIZE_MB/$pull)")" "${PULL[$e]}"
	done
	printf 'berthd peak RSS over the runs (VmHWM): %s MiB\n' "$(( $(awk '/VmHWM/{print $2}' /proc/"$(cat "$W/berth.pid")"/status) / 1024 ))"
	if [ "${#ENGINES[@]}" = 2 ]; then
		python3 -c "import sys; dp,bp,dl,bl=map(float,sys.argv[1:]); print(f'berth vs docker: push {dp/bp:.2f}x, pull {dl/bl:.2f}x')" \
			"$(median ${PUSH[docker]})" "$(median ${PUSH[berth]})" "$(median ${PULL[docker]})" "$(median ${PULL[berth]})"
	fi
}
main "$@"
