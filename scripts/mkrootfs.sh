#!/usr/bin/env bash
# Builds a busybox root filesystem and its tarball from Debian's busybox-static,
# with no registry access. Usage: mkrootfs.sh [DIR] [TARBALL]
# Then: berth import -c 'CMD ["sh"]' TARBALL busybox:latest
set -eu
R=${1:-/tmp/berth-busybox-rootfs}
T=${2:-/tmp/berth-busybox.tar}
rm -rf "$R"
mkdir -p "$R"/bin "$R"/etc "$R"/tmp "$R"/root "$R"/proc "$R"/sys "$R"/dev "$R"/var/www
chmod 1777 "$R"/tmp
cp /bin/busybox "$R"/bin/busybox
chroot "$R" /bin/busybox --install -s /bin
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R"/etc/passwd
printf 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n' >"$R"/etc/group
mkdir -p "$(dirname "$T")"
tar -C "$R" -cf "$T" .
echo "$T"
