#!/usr/bin/env bash
# Sets up Berth on a fresh Debian 12 machine (as root): installs the packages it
# needs, builds and installs berthd, berth and berth-runtime into /usr/local/bin,
# starts berthd on /run/berth/berth.sock, imports a busybox base image built
# from Debian's busybox-static, and runs a container that prints a greeting.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
apt-get update -q
apt-get install -y -q --no-install-recommends busybox-static runc libseccomp-dev procps >/dev/null
for cmd in berthd berth berth-runtime berth-init; do
	go build -o /usr/local/bin/$cmd ./cmd/$cmd
done
if ! berth version >/dev/null 2>&1; then
	mkdir -p /var/log/berth
	setsid berthd >/var/log/berth/berthd.log 2>&1 </dev/null &
	for _ in $(seq 50); do berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi
if ! berth image inspect busybox >/dev/null 2>&1; then
	./scripts/mkrootfs.sh /tmp/berth-busybox-rootfs /tmp/berth-busybox.tar >/dev/null
	berth import -c 'CMD ["sh"]' /tmp/berth-busybox.tar busybox:latest
fi
berth run --rm busybox echo "Hello from Berth!"
