package distribution

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// spool is a layer blob being downloaded into the content store, which
// the unpacker may read while it arrives: from the ingest (content
// writers that can read back what they wrote), then, once the blob is
// committed, from the store. A reader sees the end of the blob only after
// the whole blob matched its digest, and the download's error otherwise.
//
//	download:  Write ... Write ─► commit (verify) ─► done(err)
//	reader:    ReadAt(ingest) while writing ─► wait ─► read the committed blob / err
type spool struct {
	desc ocispec.Descriptor
	cs   content.Store

	mu    sync.Mutex
	cond  *sync.Cond
	w     content.Writer
	back  io.ReaderAt // w, when it can read back; nil otherwise
	n     int64       // bytes written
	state spoolState
	err   error // the download's outcome, once done
}

type spoolState int

const (
	spoolWriting    spoolState = iota
	spoolCommitting            // the ingest may go away: readers wait
	spoolDone
)

func newSpool(desc ocispec.Descriptor, cs content.Store, w content.Writer, back io.ReaderAt) *spool {
	s := &spool{desc: desc, cs: cs, w: w, back: back}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Write appends downloaded bytes.
func (s *spool) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.mu.Lock()
	s.n += int64(n)
	s.cond.Broadcast()
	s.mu.Unlock()
	return n, err
}

// commit verifies and publishes the blob (a blob that is already there
// counts as success) and ends the spool with the outcome.
func (s *spool) commit(ctx context.Context) error {
	s.mu.Lock()
	s.state = spoolCommitting
	s.mu.Unlock()
	err := s.w.Commit(ctx, s.desc.Size, s.desc.Digest)
	if errdefs.IsAlreadyExists(err) {
		err = nil
	}
	s.finish(err)
	return err
}

// finish ends the spool: err nil means the blob is committed.
func (s *spool) finish(err error) {
	s.mu.Lock()
	if s.state == spoolDone {
		s.mu.Unlock()
		return
	}
	s.state, s.err = spoolDone, err
	s.cond.Broadcast()
	s.mu.Unlock()
	s.w.Close()
}

// wait blocks until the download ends and returns its outcome.
func (s *spool) wait() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.state != spoolDone {
		s.cond.Wait()
	}
	return s.err
}

// done reports whether the download has ended.
func (s *spool) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == spoolDone
}

// reader returns a reader of the whole blob. Close it.
func (s *spool) reader(ctx context.Context) *spoolReader {
	return &spoolReader{s: s, ctx: ctx}
}

// spoolReader reads a spool from the start.
type spoolReader struct {
	s    *spool
	ctx  context.Context //nolint:containedctx // for opening the committed blob
	off  int64
	blob content.ReaderAt // the committed blob, once switched to it
}

func (r *spoolReader) Read(p []byte) (int, error) {
	if r.blob != nil {
		return r.readBlob(p)
	}
	s := r.s
	s.mu.Lock()
	for {
		switch {
		case s.state == spoolDone && s.err != nil:
			s.mu.Unlock()
			return 0, s.err
		case s.state == spoolDone:
			s.mu.Unlock()
			ra, err := s.cs.ReaderAt(r.ctx, s.desc.Digest)
			if err != nil {
				return 0, err
			}
			r.blob = ra
			return r.readBlob(p)
		case s.state == spoolWriting && s.back != nil && r.off < s.n:
			n, err := s.back.ReadAt(p[:min(int64(len(p)), s.n-r.off)], r.off)
			r.off += int64(n)
			s.mu.Unlock()
			if errors.Is(err, io.EOF) && n > 0 {
				err = nil
			}
			return n, err
		}
		s.cond.Wait()
	}
}

func (r *spoolReader) readBlob(p []byte) (int, error) {
	n, err := r.blob.ReadAt(p, r.off)
	r.off += int64(n)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// Close releases the committed blob, if it was opened.
func (r *spoolReader) Close() error {
	if r.blob != nil {
		return r.blob.Close()
	}
	return nil
}
