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
// the presence of a few /proc/sys and /sys paths, and (once) the kernel
// version, the Seccomp line of /proc/self/status and our CapEff.
//
// Security (seccomp.go, security.go, check.go): HostConfig.SecurityOpt is
// parsed as dockerd's parseSecurityOpt. Docker's default seccomp profile is
// embedded as data in Docker's own profile format (seccomp_default.json:
// moby/profiles seccomp v0.2.3, whose socket rules also refuse AF_ALG,
// stricter than dockerd 28's v0.1.0 which refused only AF_VSOCK) and goes
// through the same loader as a user's `--security-opt seccomp=FILE` (whose
// content the CLI sends): syscall groups are kept or dropped by the
// container's bounding capabilities, the host's architecture and kernel
// version, and the architecture map expands to the native architecture and
// its sub-architectures. The embedded profile is decoded once per process
// and its resolved form cached per capability set, so a `docker run` with
// the default capabilities costs a map lookup. Privileged and
// seccomp=unconfined containers get no profile. CheckHostConfig runs the
// checks Generate would make at start (options, capabilities, seccomp
// profile, ulimits, devices, sysctls) at create time. --init (setInit)
// mounts the daemon's init binary (berth-init) read-only at
// /sbin/docker-init and makes it PID 1, as dockerd does with docker-init.
// UpdateResources is dockerd's mapping of HostConfig.Resources for
// `docker update`.
//
// Imports: runtime-spec, image-spec, moby/moby/api types, moby/sys/{user,
// capability}, errdefs. No berth package that needs root.
package oci
