// Package local is the filesystem implementation of content.Store. It needs
// no privileges. Layout under the store's root:
//
//	<root>/
//	├── blobs/
//	│   └── sha256/
//	│       └── <hex>        one committed blob, read-only (0444), named by its digest
//	└── ingest/
//	    └── w-<random>       a blob being written; renamed (linked) into blobs/ by
//	                         Commit after the hash and size check and an fsync.
//	                         Leftovers of a crash are removed by Open.
//
// Place in the run flow: the daemon opens one Store at <data-root>/content and
// hands it to the image store and the registry client. It imports content and
// errdefs only.
package local
