package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Upload describes an upload session.
type Upload struct {
	Name      string
	ID        string
	Offset    int64 // bytes received so far
	StartedAt time.Time
}

// uploadState is what a running registry keeps in memory about an upload:
// a lock serialising its requests and a sha256 of the bytes received, so
// the common case (sha256 digest, no restart) never reads the data back.
// After a restart the state is rebuilt lazily with no hash: the digest is
// then computed from the stored data when the upload finishes.
type uploadState struct {
	mu     sync.Mutex
	hash   hash.Hash
	hashed int64 // hash covers data[0:hashed]
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func newUploadID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func validUploadID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f'):
			return false
		}
	}
	return true
}

func uploadUnknown(name, id string) error {
	return fmt.Errorf("upload %q in %s: %w", id, name, api.ErrBlobUploadUnknown)
}

// StartUpload opens an upload session in repository name.
func (s *Store) StartUpload(ctx context.Context, name string) (Upload, error) {
	if err := api.ValidateName(name); err != nil {
		return Upload{}, err
	}
	u := Upload{Name: name, ID: newUploadID(), StartedAt: time.Now().UTC()}
	if err := s.d.PutContent(ctx, uploadStartedPath(name, u.ID), []byte(u.StartedAt.Format(time.RFC3339Nano))); err != nil {
		return Upload{}, err
	}
	w, err := s.d.Writer(ctx, uploadDataPath(name, u.ID), false)
	if err != nil {
		return Upload{}, err
	}
	w.Close()
	s.mu.Lock()
	s.uploads[name+"\x00"+u.ID] = &uploadState{hash: sha256.New()}
	s.mu.Unlock()
	return u, nil
}

// UploadStatus reports how much an upload has received.
func (s *Store) UploadStatus(ctx context.Context, name, id string) (Upload, error) {
	if err := api.ValidateName(name); err != nil {
		return Upload{}, err
	}
	if !validUploadID(id) {
		return Upload{}, uploadUnknown(name, id)
	}
	fi, err := s.d.Stat(ctx, uploadDataPath(name, id))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return Upload{}, uploadUnknown(name, id)
		}
		return Upload{}, err
	}
	return Upload{Name: name, ID: id, Offset: fi.Size}, nil
}

// lockUpload finds and locks an upload's state and returns its current
// size. The caller unlocks st.mu.
func (s *Store) lockUpload(ctx context.Context, name, id string) (*uploadState, int64, error) {
	if err := api.ValidateName(name); err != nil {
		return nil, 0, err
	}
	if !validUploadID(id) {
		return nil, 0, uploadUnknown(name, id)
	}
	key := name + "\x00" + id
	s.mu.Lock()
	st, ok := s.uploads[key]
	if !ok {
		st = &uploadState{}
		s.uploads[key] = st
	}
	s.mu.Unlock()
	st.mu.Lock()
	fi, err := s.d.Stat(ctx, uploadDataPath(name, id))
	if err != nil {
		st.mu.Unlock()
		s.forget(name, id, st)
		if errdefs.IsNotFound(err) {
			return nil, 0, uploadUnknown(name, id)
		}
		return nil, 0, err
	}
	if st.hash == nil && fi.Size == 0 {
		st.hash, st.hashed = sha256.New(), 0
	}
	return st, fi.Size, nil
}

func (s *Store) forget(name, id string, st *uploadState) {
	s.mu.Lock()
	if s.uploads[name+"\x00"+id] == st {
		delete(s.uploads, name+"\x00"+id)
	}
	s.mu.Unlock()
}

func rangeError(u Upload, start int64) error {
	return fmt.Errorf("chunk starts at %d, upload %s has %d bytes: %w", start, u.ID, u.Offset, api.ErrRangeInvalid)
}

// WriteUpload appends what r yields to an upload (a PATCH). With start >= 0
// the chunk must start where the upload ends, or it returns ErrRangeInvalid
// and the upload is unchanged. On a read error the bytes received so far
// stay in the upload; the returned Upload tells where it ends.
func (s *Store) WriteUpload(ctx context.Context, name, id string, start int64, r io.Reader) (Upload, error) {
	st, size, err := s.lockUpload(ctx, name, id)
	if err != nil {
		return Upload{}, err
	}
	defer st.mu.Unlock()
	u := Upload{Name: name, ID: id, Offset: size}
	if start >= 0 && start != size {
		return u, rangeError(u, start)
	}
	w, err := s.d.Writer(ctx, uploadDataPath(name, id), true)
	if err != nil {
		return u, err
	}
	n, err := copyIn(st, w, size, r)
	u.Offset += n
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return u, err
}

// copyIn streams r into w (whose file has size bytes), keeping st's hash
// in step with the file. It returns the bytes written.
func copyIn(st *uploadState, w driver.FileWriter, size int64, r io.Reader) (int64, error) {
	hashing := st.hash != nil && st.hashed == size
	if !hashing {
		st.hash = nil
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var written int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			written += int64(m)
			if werr != nil {
				st.hash = nil
				return written, werr
			}
			if hashing {
				st.hash.Write(buf[:n])
				st.hashed += int64(n)
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			// the client went away or sent less than it announced: its
			// fault, and the bytes received so far stay for a resume
			return written, fmt.Errorf("reading upload body after %d bytes: %v: %w", written, rerr, api.ErrBlobUploadInvalid)
		}
	}
}

// FinishUpload appends r (may be nil) to an upload, checks the content
// against want and turns it into blob want of repository name (a PUT). A
// digest mismatch removes the upload and returns ErrDigestInvalid.
func (s *Store) FinishUpload(ctx context.Context, name, id string, start int64, r io.Reader, want digest.Digest) (ocispec.Descriptor, error) {
	if _, err := api.ParseDigest(want.String()); err != nil {
		return ocispec.Descriptor{}, err
	}
	st, size, err := s.lockUpload(ctx, name, id)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer st.mu.Unlock()
	if start >= 0 && start != size {
		return ocispec.Descriptor{}, rangeError(Upload{ID: id, Offset: size}, start)
	}
	w, err := s.d.Writer(ctx, uploadDataPath(name, id), true)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer w.Close()
	if r != nil {
		n, err := copyIn(st, w, size, r)
		size += n
		if err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	got, err := s.uploadDigest(ctx, st, name, id, size, want.Algorithm())
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if got != want {
		s.removeUpload(context.WithoutCancel(ctx), name, id, st)
		return ocispec.Descriptor{}, api.WithDetail(
			fmt.Errorf("upload %s: content digest %s, want %s: %w", id, got, want, api.ErrDigestInvalid),
			map[string]string{"digest": want.String()})
	}
	if err := w.Commit(ctx); err != nil {
		return ocispec.Descriptor{}, err
	}
	w.Close()
	if err := s.commitBlob(ctx, name, id, want); err != nil {
		return ocispec.Descriptor{}, err
	}
	s.forget(name, id, st)
	return ocispec.Descriptor{MediaType: api.MediaTypeOctetStream, Digest: want, Size: size}, nil
}

// uploadDigest is the digest of an upload's size bytes: from the running
// hash when it covers them, else read back from storage.
func (s *Store) uploadDigest(ctx context.Context, st *uploadState, name, id string, size int64, alg digest.Algorithm) (digest.Digest, error) {
	if alg == digest.SHA256 && st.hash != nil && st.hashed == size {
		return digest.NewDigest(alg, st.hash), nil
	}
	rd, err := s.d.Reader(ctx, uploadDataPath(name, id))
	if err != nil {
		return "", err
	}
	defer rd.Close()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	h := alg.Hash()
	if _, err := io.CopyBuffer(h, io.LimitReader(rd, size), *bp); err != nil {
		return "", err
	}
	return digest.NewDigest(alg, h), nil
}

// commitBlob moves a verified upload into the blob store (unless the
// content is there already: deduplication) and links it into name.
func (s *Store) commitBlob(ctx context.Context, name, id string, d digest.Digest) error {
	have, err := s.exists(ctx, blobDataPath(d))
	if err != nil {
		return err
	}
	if !have {
		if err := s.d.Move(ctx, uploadDataPath(name, id), blobDataPath(d)); err != nil {
			return err
		}
	}
	if err := s.linkBlob(ctx, name, d); err != nil {
		return err
	}
	return s.deleteIfExists(context.WithoutCancel(ctx), uploadDir(name, id))
}

func (s *Store) removeUpload(ctx context.Context, name, id string, st *uploadState) error {
	s.forget(name, id, st)
	err := s.d.Delete(ctx, uploadDir(name, id))
	if errdefs.IsNotFound(err) {
		return uploadUnknown(name, id)
	}
	return err
}

// CancelUpload removes an upload and what it received.
func (s *Store) CancelUpload(ctx context.Context, name, id string) error {
	st, _, err := s.lockUpload(ctx, name, id)
	if err != nil {
		return err
	}
	defer st.mu.Unlock()
	return s.removeUpload(ctx, name, id, st)
}

// PutBlob stores r as blob want of repository name in one go (a monolithic
// upload).
func (s *Store) PutBlob(ctx context.Context, name string, want digest.Digest, r io.Reader) (ocispec.Descriptor, error) {
	if _, err := api.ParseDigest(want.String()); err != nil {
		return ocispec.Descriptor{}, err
	}
	u, err := s.StartUpload(ctx, name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := s.FinishUpload(ctx, name, u.ID, 0, r, want)
	if err != nil && !errors.Is(err, api.ErrDigestInvalid) {
		s.CancelUpload(context.WithoutCancel(ctx), name, u.ID)
	}
	return desc, err
}
