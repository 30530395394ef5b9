// Package content is the contract of Berth's content-addressable blob store:
// manifests, configs and layer blobs keyed by their sha256 digest, written
// through a verified ingest (hash while writing, check, then publish) so that
// a blob is either complete and correct or absent.
//
// Place in the run flow: the registry client (remote) and `docker load` /
// `docker import` (image) write blobs here; image reads them back to build
// image records, unpack layers into snapshots and `docker save`.
//
// The contract (Store, Writer, ReaderAt) lives here with its one filesystem
// implementation in content/local and the conformance suite every
// implementation runs in content/testsuite. It may import errdefs and the OCI
// go-digest module only.
package content
