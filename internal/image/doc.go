// Package image is Berth's image store: image records and repository
// references, the unpacking of layers into snapshots, and the Docker API
// operations on images (list, inspect, history, tag, delete, prune) together
// with `docker import`, `docker save` and `docker load`.
//
// Place in the run flow: the engine resolves `docker run busybox` with
// Store.Get, then Prepares a container snapshot on Image.ChainID; the server
// calls List/Inspect/History/Tag/Delete/Prune/Import/Save/Load; a registry
// pull (internal/distribution) runs inside Add: its Adder writes blobs into
// the content store and unpacks layers while they download, then records
// the image (Adder.Create); a push reads blobs and the registry sources of
// layers (sources.go). The engine publishes image events from what these
// methods return.
//
// An image is identified, as in dockerd's classic store, by the digest of
// its config (Image.ID). Every image has a target manifest in the content
// store (pulled, or written by import/load), which lists the config and the
// layer blobs; layers are unpacked into committed snapshots named by their
// chain ID, shared between images.
//
// On-disk layout (the daemon chooses the three roots; typically
// <data-root>/content, <data-root>/snapshots/<driver> and <data-root>/image):
//
//	<content root>/blobs/sha256/<hex>       manifests, configs, layer blobs (content/local)
//	<snapshotter root>/...                  one committed snapshot per chain ID (snapshot/*)
//	<image root>/
//	└── images.db                           bbolt:
//	    └── "v1"
//	        ├── "images"   <image ID> -> {target manifest descriptor, parent, created, last tag time}
//	        ├── "refs"     <normalised reference> -> <image ID>
//	        │              ("docker.io/library/busybox:latest", "localhost:5000/x@sha256:...")
//	        ├── "layers"   <chain ID> -> {diff ID, parent chain ID, size, tar size}
//	        └── "sources"  <diff ID> -> [{blob descriptor, repositories holding it}]
//	                       (pulled and pushed blobs: a push skips or mounts them)
//
// Garbage. Deleting an image removes the blobs and layer snapshots that no
// remaining image references (a snapshot still used by a container stays
// until a later collection). A failed load or import removes what it added.
// Operations that add content hold a shared lock for their whole duration and
// collections hold it exclusively, so a collection never removes what an
// operation in flight is about to reference. Opening the store removes
// unpack leftovers and unreferenced layer snapshots; blobs are only ever
// deleted as candidates of a known operation, because the content store may
// hold blobs of other users.
//
// The `--change` parser (changes.go) is hand-written: BuildKit's Dockerfile
// parser would pull a large module graph (protobuf, vtprotobuf, typeurl) into
// the daemon for the eleven single-line instructions `docker import` and
// `docker commit` accept, and the builder has its own parser package.
//
// It imports content, snapshot, archive, mount, errdefs, logging and api
// (for the filters type).
package image
