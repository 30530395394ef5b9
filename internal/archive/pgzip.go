package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Parallel gzip. The input is cut into blocks that goroutines compress
// independently, each primed with the last 32 KiB of the input before it
// as its dictionary (so the ratio stays close to a serial deflate); every
// block but the last ends with a sync flush, so the compressed blocks
// concatenate into one deflate stream, written as one gzip member in
// order. It is what a push needs: on 2 cores it doubles the throughput of
// compressible layers, and klauspost's deflate is several times faster
// than compress/flate to begin with.

const (
	pgzipBlock = 512 << 10 // input bytes per block
	pgzipDict  = 32 << 10  // deflate's window
)

// GzipWriter compresses what is written to it into one gzip member with
// several goroutines. Close flushes the last block and the gzip trailer;
// it does not close the underlying writer.
type GzipWriter struct {
	w     io.Writer
	level int
	cur   *pgzipJob // the block being filled (its dict is already set)
	crc   uint32
	size  uint32

	jobs    chan *pgzipJob
	order   chan *pgzipJob // jobs in input order, for the output goroutine
	done    chan struct{}  // closed when the output goroutine ends
	workers sync.WaitGroup
	mu      sync.Mutex
	err     error
	closed  bool
}

type pgzipJob struct {
	in, dict []byte
	last     bool
	out      bytes.Buffer
	ready    chan struct{}
	err      error
}

// jobPool recycles jobs and their buffers: a push compresses hundreds of
// blocks, and fresh buffers for each would only feed the collector.
var jobPool = sync.Pool{New: func() any {
	return &pgzipJob{in: make([]byte, 0, pgzipBlock), dict: make([]byte, 0, pgzipDict)}
}}

// NewGzipWriter returns a writer compressing to w at level (a flate
// level, 1 to 9) with workers goroutines (at least 1).
func NewGzipWriter(w io.Writer, level, workers int) *GzipWriter {
	workers = max(workers, 1)
	g := &GzipWriter{w: w, level: level, jobs: make(chan *pgzipJob), order: make(chan *pgzipJob, workers),
		done: make(chan struct{}), cur: jobPool.Get().(*pgzipJob)}
	g.cur.in, g.cur.dict = g.cur.in[:0], g.cur.dict[:0]
	for range workers {
		g.workers.Add(1)
		go g.work()
	}
	go g.output()
	return g
}

// Write compresses p.
func (g *GzipWriter) Write(p []byte) (int, error) {
	if err := g.failed(); err != nil {
		return 0, err
	}
	if g.closed {
		return 0, errors.New("gzip: write after close")
	}
	n := len(p)
	g.crc = crc32.Update(g.crc, crc32.IEEETable, p)
	g.size += uint32(n)
	for len(p) > 0 {
		k := min(len(p), pgzipBlock-len(g.cur.in))
		g.cur.in = append(g.cur.in, p[:k]...)
		p = p[k:]
		if len(g.cur.in) == pgzipBlock {
			if err := g.submit(false); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// submit hands the current block to the workers and starts the next one,
// primed with the last 32 KiB of the input so far.
func (g *GzipWriter) submit(last bool) error {
	job := g.cur
	job.last, job.ready, job.err = last, make(chan struct{}), nil
	job.out.Reset()
	next := jobPool.Get().(*pgzipJob)
	next.in = next.in[:0]
	if n := len(job.in); n >= pgzipDict {
		next.dict = append(next.dict[:0], job.in[n-pgzipDict:]...)
	} else {
		keep := job.dict[max(0, len(job.dict)-(pgzipDict-n)):]
		next.dict = append(append(next.dict[:0], keep...), job.in...)
	}
	g.cur = next
	select {
	case g.order <- job:
	case <-g.done:
		return g.failed()
	}
	g.jobs <- job
	return nil
}

// work compresses blocks.
func (g *GzipWriter) work() {
	defer g.workers.Done()
	var fw *flate.Writer
	for job := range g.jobs {
		if fw == nil {
			var err error
			if fw, err = flate.NewWriterDict(&job.out, g.level, job.dict); err != nil {
				job.err = err
				close(job.ready)
				continue
			}
		} else {
			fw.ResetDict(&job.out, job.dict)
		}
		_, job.err = fw.Write(job.in)
		if job.err == nil {
			if job.last {
				job.err = fw.Close()
			} else {
				job.err = fw.Flush()
			}
		}
		close(job.ready)
	}
}

// output writes the header, then the compressed blocks in order.
func (g *GzipWriter) output() {
	defer close(g.done)
	header := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
	_, err := g.w.Write(header)
	for job := range g.order {
		<-job.ready
		if err == nil {
			err = job.err
		}
		if err == nil {
			_, err = g.w.Write(job.out.Bytes())
		}
		if err != nil {
			g.setErr(err)
		}
		jobPool.Put(job)
	}
}

func (g *GzipWriter) setErr(err error) {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
}

func (g *GzipWriter) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Close compresses the last block and writes the trailer.
func (g *GzipWriter) Close() error {
	if g.closed {
		return g.failed()
	}
	err := g.submit(true)
	g.closed = true
	close(g.jobs)
	close(g.order)
	g.workers.Wait()
	<-g.done
	if err == nil {
		err = g.failed()
	}
	if err != nil {
		return err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], g.crc)
	binary.LittleEndian.PutUint32(trailer[4:], g.size)
	_, err = g.w.Write(trailer[:])
	return err
}
