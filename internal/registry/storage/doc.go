// Package storage is berth-registry's content model on top of a storage
// driver: content-addressed blobs stored once for the whole registry and
// linked into repositories, resumable uploads verified against their digest
// (sha256 or sha512) before they become blobs, manifests (OCI image
// manifest and index, Docker schema 2 manifest and list) with their tags,
// the referrers index, the catalog, and mark-and-sweep garbage collection.
// The layout on the driver is drawn in paths.go.
//
// Place in the run flow: internal/registry's handlers call Store for every
// request; berth-registry garbage-collect calls GarbageCollect. Nothing here
// knows HTTP beyond the error codes: failures wrap the api package's codes
// (api.ErrBlobUnknown, api.ErrDigestInvalid, ...), which unwrap to errdefs
// kinds, so the handler maps every error once, through api.WriteError.
//
// Crash safety: every link, tag and manifest is written with
// Driver.PutContent (atomic), and written after what it points to; upload
// data becomes a blob only by an atomic Driver.Move after its digest was
// checked, so a blob path never holds partial content. An upload
// interrupted by a crash keeps the bytes it had received: its client can ask
// for the offset and resume (the digest is then computed from the stored
// bytes), or the upload is purged later.
//
// Imports: errdefs, registry/api, storage/driver, go-digest, image-spec.
package storage
