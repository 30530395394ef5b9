// Package distribution moves images between Berth's image store and
// registries: `docker pull` and `docker push`, with dockerd's progress
// messages, plus the registry look-ups of the API (login, distribution
// inspect, search).
//
// Place in the run flow: the server's POST /images/create?fromImage= goes
// through the engine to Service.Pull, which asks internal/remote for the
// registry's endpoints (Docker Hub mirrors first), resolves the reference
// (choosing a platform in an index), fetches the config, then runs the
// layer pipeline inside one image.Store.Add operation:
//
//	layer 0  download ──► content store ──┐ (read back while it grows)
//	layer 1  download ──► content store   ├──► unpack 0 ─► unpack 1 ─► unpack 2 ─► Create
//	layer 2  download ──► content store ──┘      (in order; each on its parent)
//
// Downloads run in parallel (MaxConcurrentDownloads); each layer is
// unpacked while its blob still downloads, from the bytes already written
// to the content store (spool.go), and committed only after the whole
// blob matched its digest. Any failure cancels the rest, and the Add
// operation removes every blob and snapshot the pull added. POST
// /images/{name}/push reaches Service.Push: layers are uploaded in
// parallel (MaxConcurrentUploads), skipped when the registry has them,
// mounted from another repository of the same registry when the image
// store knows one (image.BlobSource), uncompressed layers compressed with
// archive.GzipWriter on all cores while they stream.
//
// It imports image, content, remote, archive, errdefs and logging, and
// moby's jsonstream message type.
package distribution
