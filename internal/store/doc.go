// Package store persists the engine's records (containers, and later networks
// and volumes) in one bbolt file, as JSON values in named buckets. Reads on
// the hot path never come here: the engine serves them from memory and only
// reads the store back at start-up.
//
// Layout of <data-root>/berth.db:
//
//	bucket "containers": <container id> -> JSON record (engine's container record)
//
// It imports only errdefs.
package store
