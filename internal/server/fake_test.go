package server

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
)

// fakeEngine is an in-memory engine for handler and client tests. Its
// "processes" understand a few commands:
//
//	echo ARGS...   prints ARGS to stdout and exits 0
//	cat            copies stdin to stdout until stdin ends, exits 0
//	fail N         prints "boom" to stderr and exits N
//	sleep          runs until killed or stopped (exit 137 / 143)
//
// errs makes a method fail: errs["ContainerStart"] = err. panics makes a
// method panic.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]*fakeCtr
	execs      map[string]*fakeExec
	images     map[string]*image.InspectResponse // by reference or ID
	events     []events.Message
	subs       []chan events.Message
	seq        int
	errs       map[string]error
	panics     map[string]bool
	calls      []string
	lastCreate CreateConfig
	lastLogs   LogsOptions
	lastAuth   *registry.AuthConfig
	// attachDone receives ContainerAttach's result, if set.
	attachDone chan error
}

type fakeCtr struct {
	id, name string
	cfg      *container.Config
	host     *container.HostConfig
	created  time.Time
	state    container.ContainerState
	exitCode int
	logs     []LogMessage
	outSubs  []chan LogMessage
	stdin    *io.PipeWriter
	stdinR   *io.PipeReader
	kill     chan int
	waiters  []fakeWaiter
}

type fakeWaiter struct {
	cond container.WaitCondition
	ch   chan container.WaitResponse
}

type fakeExec struct {
	id, ctr string
	cfg     container.ExecCreateRequest
	running bool
	started bool
	code    *int
}

func newFakeEngine() *fakeEngine {
	e := &fakeEngine{
		containers: map[string]*fakeCtr{},
		execs:      map[string]*fakeExec{},
		images:     map[string]*image.InspectResponse{},
		errs:       map[string]error{},
		panics:     map[string]bool{},
	}
	e.addImage("busybox:latest", "sha256:"+strings.Repeat("b", 64))
	return e
}

func (e *fakeEngine) addImage(ref, id string) {
	img := &image.InspectResponse{ID: id, RepoTags: []string{ref}, Os: "linux", Architecture: "amd64", Size: 4096,
		Created: "2024-01-01T00:00:00Z"}
	e.images[ref] = img
	e.images[id] = img
}

// enter records the call and applies errs and panics.
func (e *fakeEngine) enter(method string) error {
	e.mu.Lock()
	e.calls = append(e.calls, method)
	err, p := e.errs[method], e.panics[method]
	e.mu.Unlock()
	if p {
		panic("fake panic in " + method)
	}
	return err
}

func (e *fakeEngine) publish(typ events.Type, action events.Action, id string, attrs map[string]string) {
	now := time.Now()
	ev := events.Message{Type: typ, Action: action, Actor: events.Actor{ID: id, Attributes: attrs},
		Scope: "local", Time: now.Unix(), TimeNano: now.UnixNano()}
	e.events = append(e.events, ev)
	for _, s := range e.subs {
		select {
		case s <- ev:
		default:
		}
	}
}

// lookup finds a container by ID, ID prefix or name; e.mu is held.
func (e *fakeEngine) lookup(name string) (*fakeCtr, error) {
	name = strings.TrimPrefix(name, "/")
	for _, c := range e.containers {
		if c.id == name || c.name == name || (len(name) >= 3 && strings.HasPrefix(c.id, name)) {
			return c, nil
		}
	}
	return nil, errdefs.Errorf(errdefs.ErrNotFound, "%s", "No such container: "+name)
}

func (e *fakeEngine) findImage(name string) (*image.InspectResponse, error) {
	if img := e.images[name]; img != nil {
		return img, nil
	}
	if ref, err := reference.ParseNormalizedNamed(name); err == nil {
		if img := e.images[reference.FamiliarString(reference.TagNameOnly(ref))]; img != nil {
			return img, nil
		}
	}
	return nil, errdefs.Errorf(errdefs.ErrNotFound, "%s", "No such image: "+name)
}

// ---------------------------------------------------------------- system, events

func (e *fakeEngine) SystemInfo(context.Context) (*system.Info, error) {
	if err := e.enter("SystemInfo"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return &system.Info{ID: "fake", Containers: len(e.containers), Name: "berth-test", ServerVersion: "0.0.0-test",
		OSType: "linux", Driver: "native", Runtimes: map[string]system.RuntimeWithStatus{
			"berth": {Runtime: system.Runtime{Path: "berth-runtime"}, Status: map[string]string{"a": "b"}}}}, nil
}

func (e *fakeEngine) SystemVersion(context.Context) (system.VersionResponse, error) {
	if err := e.enter("SystemVersion"); err != nil {
		return system.VersionResponse{}, err
	}
	return system.VersionResponse{Version: "0.0.0-test", Os: "linux", Arch: "amd64",
		Platform: system.PlatformInfo{Name: "Berth"}}, nil
}

func (e *fakeEngine) SystemDiskUsage(context.Context, DiskUsageOptions) (*system.DiskUsage, error) {
	if err := e.enter("SystemDiskUsage"); err != nil {
		return nil, err
	}
	return &system.DiskUsage{ImageUsage: &image.DiskUsage{TotalSize: 4096, TotalCount: 1,
		Items: []image.Summary{{ID: "sha256:" + strings.Repeat("b", 64), Size: 4096}}}}, nil
}

func (e *fakeEngine) Subscribe(since time.Time) ([]events.Message, <-chan events.Message, func()) {
	_ = e.enter("Subscribe")
	e.mu.Lock()
	defer e.mu.Unlock()
	var past []events.Message
	if !since.IsZero() {
		past = append(past, e.events...)
	}
	ch := make(chan events.Message, 64)
	e.subs = append(e.subs, ch)
	var once sync.Once
	return past, ch, func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			for i, s := range e.subs {
				if s == ch {
					e.subs = append(e.subs[:i], e.subs[i+1:]...)
				}
			}
			close(ch)
		})
	}
}

// ---------------------------------------------------------------- images

func (e *fakeEngine) Images(_ context.Context, opts ImageListOptions) ([]image.Summary, error) {
	if err := e.enter("Images"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	var out []image.Summary
	for _, img := range e.images {
		if seen[img.ID] {
			continue
		}
		seen[img.ID] = true
		out = append(out, image.Summary{ID: img.ID, RepoTags: img.RepoTags, Size: img.Size, Containers: 0})
	}
	return out, nil
}

func (e *fakeEngine) ImageInspect(_ context.Context, name string) (*image.InspectResponse, error) {
	if err := e.enter("ImageInspect"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	img, err := e.findImage(name)
	if err != nil {
		return nil, err
	}
	c := *img
	return &c, nil
}

func (e *fakeEngine) ImageHistory(_ context.Context, name string) ([]image.HistoryResponseItem, error) {
	if err := e.enter("ImageHistory"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	img, err := e.findImage(name)
	if err != nil {
		return nil, err
	}
	return []image.HistoryResponseItem{{ID: img.ID, CreatedBy: "/bin/sh -c #(nop) ADD file", Size: img.Size, Tags: img.RepoTags}}, nil
}

func (e *fakeEngine) ImageTag(_ context.Context, name string, ref reference.NamedTagged) error {
	if err := e.enter("ImageTag"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	img, err := e.findImage(name)
	if err != nil {
		return err
	}
	tag := reference.FamiliarString(ref)
	img.RepoTags = append(img.RepoTags, tag)
	e.images[tag] = img
	e.publish(events.ImageEventType, events.ActionTag, img.ID, map[string]string{"name": tag})
	return nil
}

func (e *fakeEngine) ImageDelete(_ context.Context, name string, opts ImageRemoveOptions) ([]image.DeleteResponse, error) {
	if err := e.enter("ImageDelete"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	img, err := e.findImage(name)
	if err != nil {
		return nil, err
	}
	var out []image.DeleteResponse
	for _, t := range img.RepoTags {
		delete(e.images, t)
		out = append(out, image.DeleteResponse{Untagged: t})
	}
	delete(e.images, img.ID)
	return append(out, image.DeleteResponse{Deleted: img.ID}), nil
}

func (e *fakeEngine) ImagePrune(context.Context, api.Filters) (image.PruneReport, error) {
	if err := e.enter("ImagePrune"); err != nil {
		return image.PruneReport{}, err
	}
	return image.PruneReport{SpaceReclaimed: 0}, nil
}

// ImageLoad reads a tar whose files are named after the images to add.
func (e *fakeEngine) ImageLoad(_ context.Context, r io.Reader, opts ImageLoadOptions, progress func(jsonstream.Message)) error {
	if err := e.enter("ImageLoad"); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("invalid archive: %w", errdefs.ErrInvalidArgument)
		}
		e.mu.Lock()
		e.addImage(h.Name, fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(h.Name))))
		e.mu.Unlock()
		progress(jsonstream.Message{Stream: "Loaded image: " + h.Name + "\n"})
	}
}

// ImageSave writes one tar entry per image, named after it.
func (e *fakeEngine) ImageSave(_ context.Context, names []string, _ ImageSaveOptions, out io.Writer) error {
	if err := e.enter("ImageSave"); err != nil {
		return err
	}
	e.mu.Lock()
	for _, n := range names {
		if _, err := e.findImage(n); err != nil {
			e.mu.Unlock()
			return err
		}
	}
	midway := e.errs["ImageSave.midway"]
	e.mu.Unlock()
	tw := tar.NewWriter(out)
	if midway != nil {
		_, _ = out.Write(make([]byte, 512))
		return midway
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(n))}); err != nil {
			return err
		}
		if _, err := io.WriteString(tw, n); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (e *fakeEngine) ImageImport(_ context.Context, layer io.Reader, opts ImageImportOptions) (string, error) {
	if err := e.enter("ImageImport"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(layer)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
	ref := id
	if opts.Ref != nil {
		ref = reference.FamiliarString(opts.Ref)
	}
	e.mu.Lock()
	e.addImage(ref, id)
	e.images[id].Comment = opts.Message
	e.mu.Unlock()
	return id, nil
}

func (e *fakeEngine) ImagePull(_ context.Context, ref reference.Named, _ ImagePullOptions, progress func(jsonstream.Message)) error {
	if err := e.enter("ImagePull"); err != nil {
		return err
	}
	tag := reference.FamiliarString(reference.TagNameOnly(ref))
	if !strings.HasPrefix(tag, "pullable") {
		return notImplementedf("pulling images is not supported yet")
	}
	progress(jsonstream.Message{Status: "Pulling from " + reference.FamiliarName(ref), ID: "latest"})
	if strings.Contains(tag, "broken") {
		return fmt.Errorf("unexpected EOF while pulling: %w", errdefs.ErrUnavailable)
	}
	e.mu.Lock()
	e.addImage(tag, fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(tag))))
	e.mu.Unlock()
	progress(jsonstream.Message{Status: "Status: Downloaded newer image for " + tag})
	return nil
}
