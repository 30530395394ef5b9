// Package daemon is berthd's composition root: it opens the stores, builds
// the implementations (content store, overlay snapshotter, image store,
// monitor runner, engine, API server), wires them explicitly (no init()
// registration), serves the API, and shuts down. It holds no logic of its own
// beyond wiring and start-up checks.
//
// On-disk layout (data root, default /var/lib/berth; exec root, default /run/berth):
//
//	<data-root>/
//	├── berth.db                 container records (internal/store)
//	├── engine-id                this daemon's ID (docker info "ID")
//	├── containers/<id>/         <id>-json.log[.N], hostname, hosts, resolv.conf
//	├── content/                 blobs by digest (internal/content/local)
//	├── snapshots/               overlay snapshots by chain ID (internal/snapshot/overlay)
//	└── image/                   image records and references (internal/image)
//	<exec-root>/
//	├── berth.sock               the API socket (default -H)
//	├── monitor/                 monitor.sock, monitor.pid, monitor.log (internal/shim)
//	├── bundles/<id>/            OCI bundle of a running container: config.json, rootfs/
//	└── runtime/<name>/          each OCI runtime's --root state directory
//
// It may import any internal package.
package daemon
