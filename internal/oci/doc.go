// Package oci builds the OCI runtime spec that dockerd 28 would generate for
// a container, from Docker's own API types (container.Config and HostConfig
// from github.com/moby/moby/api), the image config and what the engine has
// already resolved (user, rootfs, extra mounts, network namespace).
//
// Place in the run flow: internal/engine calls Generate at start time and
// writes the result as the bundle's config.json for berth-runtime; for
// `docker exec` it calls ExecProcess. EffectiveUser/ResolveUser turn the
// USER string into uid/gid/groups from the container's /etc/passwd and
// /etc/group (the engine opens them inside the rootfs).
//
// The behaviour follows moby's daemon/oci_linux.go, daemon/pkg/oci/defaults.go,
// oci/caps and daemon/commit.go (merge of image and container config) at
// v28.5.2; each difference is documented where it is made. Everything here is
// a pure function of its inputs except three reads of the host, made at
// generate time because dockerd makes them too: the capability bounding set
// (--privileged and CapAdd ALL), the RLIMIT_* hard limits (an explicit
// --ulimit above the host's hard limit is refused, defaults are clamped),
// and the presence of a few /proc/sys and /sys paths.
//
// Imports: runtime-spec, image-spec, moby/moby/api types, moby/sys/{user,
// capability}, errdefs. No berth package that needs root.
package oci
