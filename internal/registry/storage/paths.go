package storage

import (
	"strings"

	"github.com/opencontainers/go-digest"
)

// The storage layout, in driver paths. Blob content is stored once for the
// whole registry, addressed by its digest; repositories hold small link
// files that say which blobs and manifests belong to them, so the same layer
// pushed to fifty repositories takes its size once and a cross-repository
// mount is one link write.
//
//	/
//	├── blobs/
//	│   └── <algorithm>/<first two hex digits>/<hex>/
//	│       └── data                           blob or manifest bytes (sha256 or sha512)
//	└── repositories/
//	    └── <name>/                            e.g. library/busybox; components nest
//	        ├── _layers/<algorithm>/<hex>/
//	        │   └── link                       blob is in this repository (content: digest)
//	        ├── _manifests/
//	        │   ├── revisions/<algorithm>/<hex>/
//	        │   │   └── link                   manifest is in this repository
//	        │   │                              (content: revision JSON: mediaType, size,
//	        │   │                              subject, referrer descriptor)
//	        │   └── tags/<tag>                 tag (content: manifest digest)
//	        ├── _referrers/<algorithm>/<hex>/
//	        │   └── <algorithm>-<hex>          a manifest whose subject is <algorithm>:<hex>
//	        │                                  (content: its descriptor JSON, as the
//	        │                                  referrers API returns it)
//	        └── _uploads/<id>/
//	            ├── data                       bytes received so far (appended by PATCH)
//	            └── startedat                  RFC 3339 time the upload started
//
// Repository name components never start with "_" (the name grammar), so
// the _layers, _manifests, _referrers and _uploads directories cannot clash
// with a nested repository. Writes that must be atomic (links, tags,
// manifests) go through Driver.PutContent; an upload becomes a blob by
// Driver.Move of its data after the digest is verified.

const (
	blobsRoot = "/blobs"
	reposRoot = "/repositories"
)

func blobDir(d digest.Digest) string {
	enc := d.Encoded()
	return blobsRoot + "/" + d.Algorithm().String() + "/" + enc[:2] + "/" + enc
}

func blobDataPath(d digest.Digest) string { return blobDir(d) + "/data" }

func repoPath(name string) string { return reposRoot + "/" + name }

func layerLinkDir(name string, d digest.Digest) string {
	return repoPath(name) + "/_layers/" + d.Algorithm().String() + "/" + d.Encoded()
}

func layerLinkPath(name string, d digest.Digest) string { return layerLinkDir(name, d) + "/link" }

func revisionsPath(name string) string { return repoPath(name) + "/_manifests/revisions" }

func revisionDir(name string, d digest.Digest) string {
	return revisionsPath(name) + "/" + d.Algorithm().String() + "/" + d.Encoded()
}

func revisionLinkPath(name string, d digest.Digest) string { return revisionDir(name, d) + "/link" }

func tagsPath(name string) string { return repoPath(name) + "/_manifests/tags" }

func tagPath(name, tag string) string { return tagsPath(name) + "/" + tag }

func referrersDir(name string, subject digest.Digest) string {
	return repoPath(name) + "/_referrers/" + subject.Algorithm().String() + "/" + subject.Encoded()
}

func referrerPath(name string, subject, referrer digest.Digest) string {
	return referrersDir(name, subject) + "/" + referrer.Algorithm().String() + "-" + referrer.Encoded()
}

// referrerDigest inverts the file name of referrerPath.
func referrerDigest(file string) (digest.Digest, bool) {
	alg, enc, ok := strings.Cut(file, "-")
	if !ok {
		return "", false
	}
	d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
	return d, d.Validate() == nil
}

func uploadsPath(name string) string { return repoPath(name) + "/_uploads" }

func uploadDir(name, id string) string { return uploadsPath(name) + "/" + id }

func uploadDataPath(name, id string) string { return uploadDir(name, id) + "/data" }

func uploadStartedPath(name, id string) string { return uploadDir(name, id) + "/startedat" }
