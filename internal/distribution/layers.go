package distribution

import (
	"context"
	"io"
	"sync"

	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/remote"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// pullLayer is one layer of a pull.
type pullLayer struct {
	desc   ocispec.Descriptor
	diffID digest.Digest
	parent digest.Digest // chain ID of the layer below ("" for the first)
	id     string        // progress ID
	unpack bool          // not unpacked yet
	sp     *spool        // its download; nil when the blob is present
	owner  bool          // this layer runs the download (a blob listed twice is fetched once)
}

// layers downloads the layers that are missing, in parallel, and unpacks
// them in order while they arrive. It returns once every download has
// ended, so nothing is written after it returns.
func (p *puller) layers(ctx context.Context, a *image.Adder, repo *remote.Repository, t *target) error {
	ls, err := p.plan(ctx, a, t)
	if err != nil {
		for _, l := range ls {
			if l.owner {
				l.sp.finish(err)
			}
		}
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	p.startDownloads(ctx, a, repo, ls, &wg)
	for _, l := range ls {
		if err := p.unpack(ctx, a, l); err != nil {
			cancel()
			return err
		}
	}
	for _, l := range ls {
		if l.sp != nil {
			if err := l.sp.wait(); err != nil {
				return err
			}
		}
	}
	return nil
}

// plan decides, for each layer, whether to download and unpack it, and
// reports "Already exists" or "Pulling fs layer".
func (p *puller) plan(ctx context.Context, a *image.Adder, t *target) ([]*pullLayer, error) {
	var (
		ls     []*pullLayer
		parent digest.Digest
		spools = map[digest.Digest]*spool{}
	)
	for i, desc := range t.m.Layers {
		l := &pullLayer{desc: desc, diffID: t.diffIDs[i], parent: parent, id: shortID(desc.Digest)}
		chain := image.ChainID(parent, l.diffID)
		has, err := a.HasLayer(ctx, chain)
		if err != nil {
			return ls, err
		}
		l.unpack = !has
		if !a.HasBlob(ctx, desc.Digest) {
			if l.sp = spools[desc.Digest]; l.sp == nil {
				w, err := a.Writer(ctx)
				if err != nil {
					return ls, err
				}
				back, _ := w.(io.ReaderAt)
				if !a.CanReadBack(w) {
					back = nil
				}
				l.sp, l.owner = newSpool(desc, p.s.content, w, back), true
				spools[desc.Digest] = l.sp
			}
		}
		if l.sp == nil && !l.unpack {
			p.out.status(l.id, "Already exists")
		} else if l.owner || l.sp == nil {
			p.out.status(l.id, "Pulling fs layer")
		}
		ls = append(ls, l)
		parent = chain
	}
	return ls, nil
}

// startDownloads starts the downloads in layer order, at most
// MaxConcurrentDownloads at a time; the others report "Waiting".
func (p *puller) startDownloads(ctx context.Context, a *image.Adder, repo *remote.Repository, ls []*pullLayer, wg *sync.WaitGroup) {
	slots := make(chan struct{}, p.s.opts.MaxConcurrentDownloads)
	var queue []*pullLayer
	for _, l := range ls {
		if l.owner {
			queue = append(queue, l)
		}
	}
	for i, l := range queue {
		if i >= cap(slots) {
			p.out.status(l.id, "Waiting")
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, l := range queue {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				l.sp.finish(ctx.Err())
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				p.download(ctx, repo, l)
			}()
		}
	}()
}

// download fetches one blob into its spool and commits it.
func (p *puller) download(ctx context.Context, repo *remote.Repository, l *pullLayer) {
	err := p.fetch(ctx, repo, l)
	if got := l.sp.w.Digest(); err == nil && got != l.desc.Digest {
		err = remote.DigestMismatch("blob", l.desc.Digest, got)
	}
	if err == nil {
		p.out.status(l.id, "Verifying Checksum")
		if err = l.sp.commit(ctx); err == nil {
			p.out.status(l.id, "Download complete")
			return
		}
	}
	l.sp.finish(err)
}

func (p *puller) fetch(ctx context.Context, repo *remote.Repository, l *pullLayer) error {
	br, err := repo.FetchBlob(ctx, l.desc)
	if err != nil {
		return err
	}
	defer br.Close()
	br.SkipVerify() // the content store verifies on commit
	pr := &progressReader{r: br, out: p.out, id: l.id, action: "Downloading", total: l.desc.Size}
	_, err = content.Copy(ctx, l.sp, pr)
	return err
}

// unpack unpacks one layer (from its download as it arrives, or from the
// content store), reporting "Extracting" and "Pull complete".
func (p *puller) unpack(ctx context.Context, a *image.Adder, l *pullLayer) error {
	if !l.unpack {
		if l.sp != nil && l.owner {
			if err := l.sp.wait(); err != nil {
				return err
			}
			p.out.status(l.id, "Pull complete")
		}
		return nil
	}
	var src io.Reader
	quiet := func() bool { return false }
	if l.sp != nil {
		sr := l.sp.reader(ctx)
		defer sr.Close()
		src, quiet = sr, func() bool { return !l.sp.done() }
	} else {
		ra, err := p.s.content.ReaderAt(ctx, l.desc.Digest)
		if err != nil {
			return err
		}
		defer ra.Close()
		src = content.NewReader(ra)
	}
	pr := &progressReader{r: src, out: p.out, id: l.id, action: "Extracting", total: l.desc.Size, quiet: quiet}
	if _, err := a.Unpack(ctx, l.desc, l.diffID, l.parent, pr); err != nil {
		if l.sp != nil {
			if derr := l.sp.wait(); derr != nil {
				return derr // the download's failure explains the unpack's
			}
		}
		return err
	}
	p.out.status(l.id, "Pull complete")
	return nil
}
