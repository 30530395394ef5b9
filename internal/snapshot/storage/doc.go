// Package storage keeps the metadata of a snapshotter in a bbolt database:
// which keys and names exist, their kind, their parent, and the small numeric
// ID that names each snapshot's directory (short paths keep overlay mount
// data within its one-page limit). The overlay and native snapshotters both
// use it, so they share one set of rules (key namespace, parent must be
// committed, no removal while children exist) and one set of errors.
//
// Database layout (bucket names in quotes):
//
//	"v1"
//	├── "snapshots"            key or name -> JSON record {id, kind, parent, created, usage}
//	│                          (the bucket's sequence allocates IDs)
//	└── "children"             "<parent>\x00<child>" -> "" (an index for Remove's check)
//
// Filesystem work happens inside Update's callback: an error from it rolls
// the metadata back, so metadata and directories stay in step. It imports
// snapshot and errdefs.
package storage
