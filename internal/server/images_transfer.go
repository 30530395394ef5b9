package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// progressStream writes jsonstream messages, one per line ending in
// "\r\n" like dockerd's streamformatter, flushing each.
type progressStream struct {
	w       http.ResponseWriter
	started bool
}

// Progress is written while the request body (load, import) is still being
// read, so the connection is switched to full duplex: by default net/http
// closes an HTTP/1 request body once the response starts.
func newProgressStream(w http.ResponseWriter) *progressStream {
	w.Header().Set("Content-Type", "application/json")
	_ = http.NewResponseController(w).EnableFullDuplex()
	return &progressStream{w: w}
}

// send writes one message; write errors (the client left) are dropped, the
// backend notices through its context.
func (p *progressStream) send(m jsonstream.Message) {
	b, err := json.Marshal(&m)
	if err != nil {
		return
	}
	p.writeLine(b)
}

func (p *progressStream) writeLine(b []byte) {
	p.started = true
	_, _ = p.w.Write(append(b, '\r', '\n'))
	_ = http.NewResponseController(p.w).Flush()
}

// sendError writes err in-band, with both the errorDetail and the legacy
// error field.
func (p *progressStream) sendError(err error) {
	b, _ := json.Marshal(legacyJSON{
		base:  &jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}},
		extra: map[string]any{"error": err.Error()},
	})
	p.writeLine(b)
}

// finish answers err: as an HTTP error while nothing was sent, in-band after.
func (p *progressStream) finish(err error) error {
	if err == nil || !p.started {
		return err
	}
	p.sendError(err)
	return nil
}

// postImagesLoad answers POST /images/load?quiet= with a jsonstream; a
// failure is reported in the stream, as dockerd does.
func (s *Server) postImagesLoad(w http.ResponseWriter, r *http.Request) error {
	opts := ImageLoadOptions{Quiet: boolValueOr(r, "quiet", true)}
	if versionAtLeast(r, "1.48") {
		var err error
		if opts.Platforms, err = decodePlatforms(r.URL.Query()["platform"]); err != nil {
			return err
		}
	}
	out := newProgressStream(w)
	if err := s.opts.Images.ImageLoad(r.Context(), r.Body, opts, out.send); err != nil {
		out.sendError(err)
	}
	if !out.started {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

// getImagesGet answers GET /images/get?names= with a tar stream.
func (s *Server) getImagesGet(w http.ResponseWriter, r *http.Request) error {
	return s.saveImages(w, r, r.URL.Query()["names"])
}

// saveImages streams `docker save` output. An error before the first byte
// is an HTTP error; after it the connection is aborted, so the client sees
// a truncated download rather than a tar with an error message inside.
func (s *Server) saveImages(w http.ResponseWriter, r *http.Request, names []string) error {
	var opts ImageSaveOptions
	if versionAtLeast(r, "1.48") {
		var err error
		if opts.Platforms, err = decodePlatforms(r.URL.Query()["platform"]); err != nil {
			return err
		}
	}
	out := &lazyWriter{w: w, contentType: "application/x-tar"}
	err := s.opts.Images.ImageSave(r.Context(), names, opts, out)
	if err != nil && out.started {
		panic(http.ErrAbortHandler)
	}
	if err == nil && !out.started {
		out.start()
	}
	return err
}

// lazyWriter sends the 200 header with the first byte.
type lazyWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyWriter) start() {
	l.started = true
	l.w.Header().Set("Content-Type", l.contentType)
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.w.Write(p)
}

// postImagesCreate answers POST /images/create: a pull (fromImage) or an
// import (fromSrc), reported as a jsonstream.
func (s *Server) postImagesCreate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var platform *ocispec.Platform
	if p := q.Get("platform"); p != "" && versionAtLeast(r, "1.32") {
		var err error
		if platform, err = parsePlatform(p); err != nil {
			return err
		}
	}
	if img := q.Get("fromImage"); img != "" {
		return s.pullImage(w, r, img, platform)
	}
	return s.importImage(w, r, platform)
}

// pullImage runs a pull; an error before any progress is an HTTP error.
func (s *Server) pullImage(w http.ResponseWriter, r *http.Request, img string, platform *ocispec.Platform) error {
	ref, err := pullReference(img, r.URL.Query().Get("tag"))
	if err != nil {
		return err
	}
	// A pull without (valid) credentials is still a pull, as in dockerd.
	auth, _ := authconfig.Decode(r.Header.Get(registry.AuthHeader))
	out := newProgressStream(w)
	err = s.opts.Images.ImagePull(r.Context(), ref, ImagePullOptions{Platform: platform, Auth: auth}, out.send)
	return out.finish(err)
}

// pullReference builds the reference to pull from fromImage and tag (which
// may be a digest); "scratch" is reserved.
func pullReference(img, tag string) (reference.Named, error) {
	ref, err := reference.ParseNormalizedNamed(strings.TrimSuffix(img, ":"))
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if tag != "" {
		if dgst, derr := digest.Parse(tag); derr == nil {
			ref, err = reference.WithDigest(reference.TrimNamed(ref), dgst)
		} else {
			ref, err = reference.WithTag(ref, tag)
		}
		if err != nil {
			return nil, invalidf("%v", err)
		}
	}
	if reference.FamiliarName(ref) == "scratch" {
		return nil, errdefs.Errorf(errdefs.ErrPermissionDenied, "'scratch' is a reserved name")
	}
	return ref, nil
}

// importImage imports the request body (fromSrc=-) as a one-layer image
// and answers its ID as a status line.
func (s *Server) importImage(w http.ResponseWriter, r *http.Request, platform *ocispec.Platform) error {
	q := r.URL.Query()
	src := q.Get("fromSrc")
	if src != "-" {
		return notImplementedf("importing from a URL is not supported; send the archive in the request body (fromSrc=-)")
	}
	opts := ImageImportOptions{Message: q.Get("message"), Changes: q["changes"], Platform: platform}
	if repo := q.Get("repo"); repo != "" {
		var err error
		if opts.Ref, err = repoTagReference(repo, q.Get("tag")); err != nil {
			return err
		}
	}
	if opts.Message == "" {
		opts.Message = "Imported from " + src
	}
	out := newProgressStream(w)
	id, err := s.opts.Images.ImageImport(r.Context(), io.Reader(r.Body), opts)
	if err != nil {
		return out.finish(err)
	}
	out.send(jsonstream.Message{Status: id})
	return nil
}
