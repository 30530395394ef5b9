package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/snapshot"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketV1        = []byte("v1")
	bucketSnapshots = []byte("snapshots")
	bucketChildren  = []byte("children")
)

// Snapshot is what an implementation needs to build mounts: the snapshot's
// own ID and the IDs of its ancestors, nearest first.
type Snapshot struct {
	ID        string
	Kind      snapshot.Kind
	ParentIDs []string
}

// record is the stored form of one snapshot.
type record struct {
	ID      uint64         `json:"id"`
	Kind    snapshot.Kind  `json:"kind"`
	Parent  string         `json:"parent,omitempty"`
	Created time.Time      `json:"created"`
	Usage   snapshot.Usage `json:"usage"`
}

// MetaStore is an open metadata database.
type MetaStore struct {
	db *bolt.DB
}

// Open opens (creating it if needed) the database at path.
func Open(path string) (*MetaStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open snapshot metadata %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		v1, err := tx.CreateBucketIfNotExists(bucketV1)
		if err != nil {
			return err
		}
		if _, err := v1.CreateBucketIfNotExists(bucketSnapshots); err != nil {
			return err
		}
		_, err = v1.CreateBucketIfNotExists(bucketChildren)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init snapshot metadata: %w", err)
	}
	return &MetaStore{db: db}, nil
}

// Close closes the database.
func (ms *MetaStore) Close() error { return ms.db.Close() }

// View runs fn in a read-only transaction.
func (ms *MetaStore) View(fn func(*Tx) error) error {
	return ms.db.View(func(tx *bolt.Tx) error { return fn(newTx(tx)) })
}

// Update runs fn in a read-write transaction; fn's error rolls it back.
func (ms *MetaStore) Update(fn func(*Tx) error) error {
	return ms.db.Update(func(tx *bolt.Tx) error { return fn(newTx(tx)) })
}

// Tx is one metadata transaction.
type Tx struct {
	snapshots *bolt.Bucket
	children  *bolt.Bucket
}

func newTx(tx *bolt.Tx) *Tx {
	v1 := tx.Bucket(bucketV1)
	return &Tx{snapshots: v1.Bucket(bucketSnapshots), children: v1.Bucket(bucketChildren)}
}

func (t *Tx) get(key string) (record, error) {
	var r record
	v := t.snapshots.Get([]byte(key))
	if v == nil {
		return r, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("snapshot %q: corrupt record: %w", key, err)
	}
	return r, nil
}

func (t *Tx) put(key string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return t.snapshots.Put([]byte(key), b)
}

func childKey(parent, child string) []byte { return []byte(parent + "\x00" + child) }

// Create records a new active or view snapshot key on top of parent.
func (t *Tx) Create(kind snapshot.Kind, key, parent string) (Snapshot, error) {
	if key == "" {
		return Snapshot{}, fmt.Errorf("empty snapshot key: %w", errdefs.ErrInvalidArgument)
	}
	if kind != snapshot.KindActive && kind != snapshot.KindView {
		return Snapshot{}, fmt.Errorf("create snapshot of kind %s: %w", kind, errdefs.ErrInvalidArgument)
	}
	if t.snapshots.Get([]byte(key)) != nil {
		return Snapshot{}, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrAlreadyExists)
	}
	var parentIDs []string
	if parent != "" {
		p, err := t.get(parent)
		if err != nil {
			return Snapshot{}, fmt.Errorf("parent: %w", err)
		}
		if p.Kind != snapshot.KindCommitted {
			return Snapshot{}, fmt.Errorf("parent %q is not a committed snapshot: %w", parent, errdefs.ErrInvalidArgument)
		}
		if parentIDs, err = t.ancestors(parent); err != nil {
			return Snapshot{}, err
		}
		if err := t.children.Put(childKey(parent, key), nil); err != nil {
			return Snapshot{}, err
		}
	}
	id, err := t.snapshots.NextSequence()
	if err != nil {
		return Snapshot{}, err
	}
	r := record{ID: id, Kind: kind, Parent: parent, Created: time.Now().UTC()}
	if err := t.put(key, r); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{ID: formatID(id), Kind: kind, ParentIDs: parentIDs}, nil
}

// ancestors returns the IDs of name and its parents, nearest first.
func (t *Tx) ancestors(name string) ([]string, error) {
	var ids []string
	for name != "" {
		r, err := t.get(name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, formatID(r.ID))
		name = r.Parent
	}
	return ids, nil
}

// Get returns the IDs of a snapshot and of its parents.
func (t *Tx) Get(key string) (Snapshot, error) {
	r, err := t.get(key)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{ID: formatID(r.ID), Kind: r.Kind}
	if r.Parent != "" {
		if s.ParentIDs, err = t.ancestors(r.Parent); err != nil {
			return Snapshot{}, err
		}
	}
	return s, nil
}

// Stat returns the info of a snapshot.
func (t *Tx) Stat(key string) (snapshot.Info, error) {
	r, err := t.get(key)
	if err != nil {
		return snapshot.Info{}, err
	}
	return snapshot.Info{Kind: r.Kind, Name: key, Parent: r.Parent, Created: r.Created}, nil
}

// Usage returns the usage recorded at commit time (zero for others).
func (t *Tx) Usage(key string) (snapshot.Usage, error) {
	r, err := t.get(key)
	return r.Usage, err
}

// Commit turns the active snapshot key into the committed snapshot name,
// keeping its ID (so its directory) and recording usage. It returns the ID.
func (t *Tx) Commit(key, name string, usage snapshot.Usage) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty snapshot name: %w", errdefs.ErrInvalidArgument)
	}
	r, err := t.get(key)
	if err != nil {
		return "", err
	}
	if r.Kind != snapshot.KindActive {
		return "", fmt.Errorf("snapshot %q is %s, not active: %w", key, r.Kind, errdefs.ErrConflict)
	}
	if t.snapshots.Get([]byte(name)) != nil {
		return "", fmt.Errorf("snapshot %q: %w", name, errdefs.ErrAlreadyExists)
	}
	if t.hasChildren(key) {
		return "", fmt.Errorf("snapshot %q has children: %w", key, errdefs.ErrConflict)
	}
	if err := t.snapshots.Delete([]byte(key)); err != nil {
		return "", err
	}
	if r.Parent != "" {
		if err := t.children.Delete(childKey(r.Parent, key)); err != nil {
			return "", err
		}
		if err := t.children.Put(childKey(r.Parent, name), nil); err != nil {
			return "", err
		}
	}
	r.Kind, r.Created, r.Usage = snapshot.KindCommitted, time.Now().UTC(), usage
	return formatID(r.ID), t.put(name, r)
}

func (t *Tx) hasChildren(key string) bool {
	prefix := []byte(key + "\x00")
	k, _ := t.children.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// Remove deletes the record of key and returns its ID and kind. A snapshot
// with children cannot be removed (ErrConflict).
func (t *Tx) Remove(key string) (string, snapshot.Kind, error) {
	r, err := t.get(key)
	if err != nil {
		return "", 0, err
	}
	if t.hasChildren(key) {
		return "", 0, fmt.Errorf("snapshot %q has children: %w", key, errdefs.ErrConflict)
	}
	if err := t.snapshots.Delete([]byte(key)); err != nil {
		return "", 0, err
	}
	if r.Parent != "" {
		if err := t.children.Delete(childKey(r.Parent, key)); err != nil {
			return "", 0, err
		}
	}
	return formatID(r.ID), r.Kind, nil
}

// Walk calls fn for every snapshot.
func (t *Tx) Walk(fn func(snapshot.Info) error) error {
	return t.snapshots.ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("snapshot %q: corrupt record: %w", k, err)
		}
		return fn(snapshot.Info{Kind: r.Kind, Name: string(k), Parent: r.Parent, Created: r.Created})
	})
}

// IDs returns the IDs of every recorded snapshot (to find orphan directories).
func (t *Tx) IDs() (map[string]bool, error) {
	ids := map[string]bool{}
	err := t.snapshots.ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		ids[formatID(r.ID)] = true
		return nil
	})
	return ids, err
}

func formatID(id uint64) string { return strconv.FormatUint(id, 10) }
