package image

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/snapshot"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

var (
	bucketV1     = []byte("v1")
	bucketImages = []byte("images")
	bucketRefs   = []byte("refs")
	bucketLayers = []byte("layers")
	// bucketSources maps a diff ID to the blobs of that layer known to
	// exist in registries (see sources.go).
	bucketSources = []byte("sources")
)

// unpackPrefix starts the keys of the active snapshots layers are unpacked
// into; leftovers with it are removed when the store opens.
const unpackPrefix = "image-unpack-"

// record is the stored form of an image.
type record struct {
	Target      ocispec.Descriptor `json:"target"`
	Parent      digest.Digest      `json:"parent,omitempty"`
	Created     time.Time          `json:"created"`
	LastTagTime time.Time          `json:"lastTagTime,omitzero"`
}

// layerRecord is the stored form of an unpacked layer, keyed by chain ID.
type layerRecord struct {
	DiffID digest.Digest `json:"diffID"`
	Parent digest.Digest `json:"parent,omitempty"` // chain ID of the layer below
	// Size is the apparent size of the layer's files (dockerd's DiffSize).
	Size int64 `json:"size"`
	// TarSize is the length of the uncompressed layer tar.
	TarSize int64 `json:"tarSize"`
}

// Store is the image store. It is safe for concurrent use.
type Store struct {
	db      *bolt.DB
	content content.Store
	sn      snapshot.Snapshotter

	// gcMu is held shared by operations that add blobs or snapshots and
	// exclusively by those that collect garbage (see the package comment).
	gcMu sync.RWMutex

	cacheMu sync.Mutex
	configs map[digest.Digest]*parsedConfig // immutable, by image ID
}

// New opens (creating it if needed) the image store whose database lives in
// root, on top of the content store cs and the snapshotter sn (which the
// store does not close). It removes unpack leftovers and layer snapshots no
// image references.
func New(ctx context.Context, root string, cs content.Store, sn snapshot.Snapshotter) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	db, err := bolt.Open(filepath.Join(root, "images.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		v1, err := tx.CreateBucketIfNotExists(bucketV1)
		if err != nil {
			return err
		}
		for _, b := range [][]byte{bucketImages, bucketRefs, bucketLayers, bucketSources} {
			if _, err := v1.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("image store: %w", err)
	}
	s := &Store{db: db, content: cs, sn: sn, configs: map[digest.Digest]*parsedConfig{}}
	if err := s.cleanStartup(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// cleanStartup removes active unpack snapshots left by a crash and layer
// snapshots that no image references.
func (s *Store) cleanStartup(ctx context.Context) error {
	var stale []string
	err := s.sn.Walk(ctx, func(_ context.Context, i snapshot.Info) error {
		if i.Kind != snapshot.KindCommitted && strings.HasPrefix(i.Name, unpackPrefix) {
			stale = append(stale, i.Name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image store: %w", err)
	}
	for _, k := range stale {
		if err := s.sn.Remove(ctx, k); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("image store: remove stale unpack %q: %w", k, err)
		}
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	_, err = s.collect(ctx, garbage{allLayers: true})
	return err
}

// tx wraps a bbolt transaction with typed accessors.
type tx struct {
	images, refs, layers *bolt.Bucket
}

func (s *Store) view(fn func(*tx) error) error {
	return s.db.View(func(t *bolt.Tx) error { return fn(wrapTx(t)) })
}

func (s *Store) update(fn func(*tx) error) error {
	return s.db.Update(func(t *bolt.Tx) error { return fn(wrapTx(t)) })
}

func wrapTx(t *bolt.Tx) *tx {
	v1 := t.Bucket(bucketV1)
	return &tx{images: v1.Bucket(bucketImages), refs: v1.Bucket(bucketRefs), layers: v1.Bucket(bucketLayers)}
}

func (t *tx) image(id digest.Digest) (record, bool, error) {
	var r record
	v := t.images.Get([]byte(id))
	if v == nil {
		return r, false, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, false, fmt.Errorf("image %s: corrupt record: %w", id, err)
	}
	return r, true, nil
}

func (t *tx) putImage(id digest.Digest, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return t.images.Put([]byte(id), b)
}

func (t *tx) layer(chainID digest.Digest) (layerRecord, bool, error) {
	var l layerRecord
	v := t.layers.Get([]byte(chainID))
	if v == nil {
		return l, false, nil
	}
	if err := json.Unmarshal(v, &l); err != nil {
		return l, false, fmt.Errorf("layer %s: corrupt record: %w", chainID, err)
	}
	return l, true, nil
}

func (t *tx) putLayer(chainID digest.Digest, l layerRecord) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return t.layers.Put([]byte(chainID), b)
}

// forEachImage calls fn for every image record.
func (t *tx) forEachImage(fn func(id digest.Digest, r record) error) error {
	return t.images.ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("image %s: corrupt record: %w", k, err)
		}
		return fn(digest.Digest(k), r)
	})
}

// refsByImage maps every image ID to its references.
func (t *tx) refsByImage() map[digest.Digest][]string {
	out := map[digest.Digest][]string{}
	t.refs.ForEach(func(k, v []byte) error {
		out[digest.Digest(v)] = append(out[digest.Digest(v)], string(k))
		return nil
	})
	return out
}

// refsOf returns the references of one image.
func (t *tx) refsOf(id digest.Digest) []string {
	var out []string
	t.refs.ForEach(func(k, v []byte) error {
		if digest.Digest(v) == id {
			out = append(out, string(k))
		}
		return nil
	})
	return out
}

// children returns the images whose parent is id.
func (t *tx) children(id digest.Digest) ([]digest.Digest, error) {
	var out []digest.Digest
	err := t.forEachImage(func(cid digest.Digest, r record) error {
		if r.Parent == id {
			out = append(out, cid)
		}
		return nil
	})
	return out, err
}
