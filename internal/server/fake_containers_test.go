package server

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

func (e *fakeEngine) ContainerCreate(_ context.Context, cfg CreateConfig) (container.CreateResponse, error) {
	if err := e.enter("ContainerCreate"); err != nil {
		return container.CreateResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastCreate = cfg
	if _, err := e.findImage(cfg.Config.Image); err != nil {
		return container.CreateResponse{}, err
	}
	e.seq++
	id := fmt.Sprintf("%064x", e.seq)
	name := cfg.Name
	if name == "" {
		name = fmt.Sprintf("fake_%d", e.seq)
	}
	if _, err := e.lookup(name); err == nil {
		return container.CreateResponse{}, errdefs.Errorf(errdefs.ErrConflict,
			"Conflict. The container name \"/%s\" is already in use", name)
	}
	e.containers[id] = &fakeCtr{id: id, name: name, cfg: cfg.Config, host: cfg.HostConfig,
		created: time.Now(), state: container.StateCreated}
	e.publish(events.ContainerEventType, events.ActionCreate, id, map[string]string{"name": name, "image": cfg.Config.Image})
	return container.CreateResponse{ID: id}, nil
}

func (e *fakeEngine) ContainerStart(_ context.Context, name string) error {
	if err := e.enter("ContainerStart"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return err
	}
	if c.state == container.StateRunning {
		return errdefs.Errorf(errdefs.ErrNotModified, "container already started")
	}
	c.state, c.kill = container.StateRunning, make(chan int, 1)
	c.stdinR, c.stdin = io.Pipe()
	go e.run(c, c.cfg.Cmd, c.stdinR, c.kill, func(src string, b []byte) { e.emit(c, src, b) }, func(code int) { e.exit(c, code) })
	e.publish(events.ContainerEventType, events.ActionStart, c.id, map[string]string{"name": c.name, "image": c.cfg.Image})
	return nil
}

// run executes a fake command: see fakeEngine.
func (e *fakeEngine) run(_ *fakeCtr, cmd []string, stdin io.Reader, kill chan int, out func(string, []byte), exit func(int)) {
	if len(cmd) == 0 {
		exit(0)
		return
	}
	switch cmd[0] {
	case "echo":
		out("stdout", []byte(strings.Join(cmd[1:], " ")+"\n"))
		exit(0)
	case "cat":
		buf := make([]byte, 4096)
		for {
			n, err := stdin.Read(buf)
			if n > 0 {
				out("stdout", append([]byte(nil), buf[:n]...))
			}
			if err != nil {
				exit(0)
				return
			}
		}
	case "fail":
		out("stderr", []byte("boom\n"))
		code, _ := strconv.Atoi(cmd[1])
		exit(code)
	default: // sleep
		exit(<-kill)
	}
}

func (e *fakeEngine) emit(c *fakeCtr, src string, b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := LogMessage{Source: src, Line: b, Timestamp: time.Unix(1700000000, 5).UTC()}
	c.logs = append(c.logs, msg)
	for _, s := range c.outSubs {
		s <- msg
	}
}

func (e *fakeEngine) exit(c *fakeCtr, code int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.state, c.exitCode = container.StateExited, code
	for _, s := range c.outSubs {
		close(s)
	}
	c.outSubs = nil
	c.waiters = e.notify(c, c.waiters, container.WaitConditionNotRunning, container.WaitConditionNextExit)
	e.publish(events.ContainerEventType, events.ActionDie, c.id, map[string]string{"name": c.name, "exitCode": strconv.Itoa(code)})
}

// notify answers the waiters for conds and returns the others.
func (e *fakeEngine) notify(c *fakeCtr, ws []fakeWaiter, conds ...container.WaitCondition) []fakeWaiter {
	var keep []fakeWaiter
	for _, w := range ws {
		matched := false
		for _, cond := range conds {
			matched = matched || w.cond == cond
		}
		if !matched {
			keep = append(keep, w)
			continue
		}
		w.ch <- container.WaitResponse{StatusCode: int64(c.exitCode)}
		close(w.ch)
	}
	return keep
}

func (e *fakeEngine) ContainerStop(_ context.Context, name string, opts StopOptions) error {
	if err := e.enter("ContainerStop"); err != nil {
		return err
	}
	e.mu.Lock()
	c, err := e.lookup(name)
	if err == nil && c.state != container.StateRunning {
		err = errdefs.Errorf(errdefs.ErrNotModified, "container already stopped")
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	c.kill <- 143
	return e.waitExited(c)
}

func (e *fakeEngine) waitExited(c *fakeCtr) error {
	for range 200 {
		e.mu.Lock()
		st := c.state
		e.mu.Unlock()
		if st != container.StateRunning {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("container did not stop: %w", errdefs.ErrInternal)
}

func (e *fakeEngine) ContainerRestart(ctx context.Context, name string, opts StopOptions) error {
	if err := e.ContainerStop(ctx, name, opts); err != nil && !errdefs.IsNotModified(err) {
		return err
	}
	return e.ContainerStart(ctx, name)
}

func (e *fakeEngine) ContainerKill(_ context.Context, name, signal string) error {
	if err := e.enter("ContainerKill"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return err
	}
	if c.state != container.StateRunning {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.id)
	}
	select {
	case c.kill <- 137:
	default:
	}
	return nil
}

func (e *fakeEngine) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	if err := e.enter("ContainerWait"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return nil, err
	}
	ch := make(chan container.WaitResponse, 1)
	if cond == container.WaitConditionNotRunning && c.state != container.StateRunning {
		ch <- container.WaitResponse{StatusCode: int64(c.exitCode)}
		close(ch)
		return ch, nil
	}
	c.waiters = append(c.waiters, fakeWaiter{cond: cond, ch: ch})
	return ch, nil
}

func (e *fakeEngine) ContainerRename(_ context.Context, name, newName string) error {
	if err := e.enter("ContainerRename"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return err
	}
	c.name = newName
	return nil
}

func (e *fakeEngine) ContainerRemove(_ context.Context, name string, opts RemoveOptions) error {
	if err := e.enter("ContainerRemove"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return err
	}
	if c.state == container.StateRunning && !opts.Force {
		return errdefs.Errorf(errdefs.ErrConflict, "%s", "cannot remove container \"/"+c.name+
			"\": container is running: stop the container before removing or force remove")
	}
	if c.state == container.StateRunning {
		c.kill <- 137
	}
	delete(e.containers, c.id)
	c.waiters = e.notify(c, c.waiters, container.WaitConditionRemoved)
	return nil
}

func (e *fakeEngine) ContainerResize(_ context.Context, name string, h, w uint32) error {
	if err := e.enter("ContainerResize"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := e.lookup(name)
	return err
}

func (e *fakeEngine) ContainerUpdate(context.Context, string, container.UpdateConfig) (container.UpdateResponse, error) {
	if err := e.enter("ContainerUpdate"); err != nil {
		return container.UpdateResponse{}, err
	}
	return container.UpdateResponse{}, notImplementedf("container update is not supported yet")
}

func (e *fakeEngine) summary(c *fakeCtr) container.Summary {
	return container.Summary{ID: c.id, Names: []string{"/" + c.name}, Image: c.cfg.Image,
		Command: strings.Join(c.cfg.Cmd, " "), Created: c.created.Unix(), State: c.state,
		Status: string(c.state), Labels: c.cfg.Labels}
}

func (e *fakeEngine) Containers(_ context.Context, opts ListOptions) ([]container.Summary, error) {
	if err := e.enter("Containers"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []container.Summary
	for _, c := range e.containers {
		if (opts.All || c.state == container.StateRunning) && opts.Filters.Match("name", c.name) {
			out = append(out, e.summary(c))
		}
	}
	return out, nil
}

func (e *fakeEngine) ContainerInspect(_ context.Context, name string, _ InspectOptions) (*container.InspectResponse, error) {
	if err := e.enter("ContainerInspect"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return nil, err
	}
	return &container.InspectResponse{ID: c.id, Name: "/" + c.name, Image: c.cfg.Image, Config: c.cfg,
		HostConfig: c.host, Created: c.created.Format(time.RFC3339Nano),
		State: &container.State{Status: c.state, Running: c.state == container.StateRunning, ExitCode: c.exitCode}}, nil
}

func (e *fakeEngine) ContainerLogs(ctx context.Context, name string, opts LogsOptions) (<-chan LogMessage, bool, error) {
	if err := e.enter("ContainerLogs"); err != nil {
		return nil, false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastLogs = opts
	c, err := e.lookup(name)
	if err != nil {
		return nil, false, err
	}
	past := append([]LogMessage(nil), c.logs...)
	if opts.Tail >= 0 && opts.Tail < len(past) {
		past = past[len(past)-opts.Tail:]
	}
	var live chan LogMessage
	if opts.Follow && c.state == container.StateRunning {
		live = make(chan LogMessage, 64)
		c.outSubs = append(c.outSubs, live)
	}
	out := make(chan LogMessage)
	go func() {
		defer close(out)
		for _, m := range past {
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
		if live == nil {
			return
		}
		for m := range live {
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, c.cfg.Tty, nil
}

func (e *fakeEngine) ContainerTop(_ context.Context, name, psArgs string) (container.TopResponse, error) {
	if err := e.enter("ContainerTop"); err != nil {
		return container.TopResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.lookup(name); err != nil {
		return container.TopResponse{}, err
	}
	return container.TopResponse{Titles: []string{"PID", "CMD"}, Processes: [][]string{{"1", psArgs}}}, nil
}

func (e *fakeEngine) ContainerStats(_ context.Context, name string, opts StatsOptions, send func(*container.StatsResponse) error) error {
	if err := e.enter("ContainerStats"); err != nil {
		return err
	}
	return notImplementedf("stats are not supported yet")
}

func (e *fakeEngine) ContainerPrune(context.Context, api.Filters) (container.PruneReport, error) {
	if err := e.enter("ContainerPrune"); err != nil {
		return container.PruneReport{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var rep container.PruneReport
	for id, c := range e.containers {
		if c.state != container.StateRunning {
			delete(e.containers, id)
			rep.ContainersDeleted = append(rep.ContainersDeleted, id)
		}
	}
	return rep, nil
}

// ContainerAttach copies the container's output (and stdin, for cat)
// until the container exits or the client leaves.
func (e *fakeEngine) ContainerAttach(ctx context.Context, name string, cfg AttachConfig) (err error) {
	defer func() {
		if e.attachDone != nil {
			e.attachDone <- err
		}
	}()
	if err := e.enter("ContainerAttach"); err != nil {
		return err
	}
	e.mu.Lock()
	c, err := e.lookup(name)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	var live chan LogMessage
	if cfg.Stream && c.state != container.StateExited {
		live = make(chan LogMessage, 64)
		c.outSubs = append(c.outSubs, live)
	}
	var past []LogMessage
	if cfg.Logs {
		past = append(past, c.logs...)
	}
	tty := c.cfg.Tty
	e.mu.Unlock()
	st, err := cfg.GetStreams(tty)
	if err != nil {
		return err
	}
	if st.Stdin != nil {
		go e.copyStdin(c, st.Stdin)
	}
	for _, m := range past {
		writeMsg(st, m)
	}
	if live == nil {
		return nil
	}
	for {
		select {
		case m, ok := <-live:
			if !ok {
				return nil
			}
			if writeMsg(st, m) != nil {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// copyStdin feeds the client's stdin to the container; EOF closes it.
func (e *fakeEngine) copyStdin(c *fakeCtr, in io.Reader) {
	for {
		e.mu.Lock()
		w := c.stdin
		e.mu.Unlock()
		if w != nil {
			_, err := io.Copy(w, in)
			if err == nil {
				_ = w.Close()
			}
			return
		}
		time.Sleep(2 * time.Millisecond) // not started yet
	}
}

func writeMsg(st AttachStreams, m LogMessage) error {
	w := st.Stdout
	if m.Source == "stderr" {
		w = st.Stderr
	}
	if w == nil {
		return nil
	}
	_, err := w.Write(m.Line)
	return err
}

// ---------------------------------------------------------------- exec

func (e *fakeEngine) ContainerExecCreate(_ context.Context, name string, cfg container.ExecCreateRequest) (string, error) {
	if err := e.enter("ContainerExecCreate"); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.lookup(name)
	if err != nil {
		return "", err
	}
	if c.state != container.StateRunning {
		return "", errdefs.Errorf(errdefs.ErrConflict, "%s", "container "+c.id+" is not running")
	}
	e.seq++
	id := fmt.Sprintf("e%063x", e.seq)
	e.execs[id] = &fakeExec{id: id, ctr: c.id, cfg: cfg}
	return id, nil
}

func (e *fakeEngine) ContainerExecInspect(_ context.Context, id string) (*container.ExecInspectResponse, error) {
	if err := e.enter("ContainerExecInspect"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ex := e.execs[id]
	if ex == nil {
		return nil, notFoundf("No such exec instance: %s", id)
	}
	return &container.ExecInspectResponse{ID: ex.id, ContainerID: ex.ctr, Running: ex.running, ExitCode: ex.code,
		OpenStdin: ex.cfg.AttachStdin, OpenStdout: ex.cfg.AttachStdout, OpenStderr: ex.cfg.AttachStderr,
		ProcessConfig: &container.ExecProcessConfig{Tty: ex.cfg.Tty, Entrypoint: ex.cfg.Cmd[0], Arguments: ex.cfg.Cmd[1:]}}, nil
}

func (e *fakeEngine) ContainerExecStart(ctx context.Context, id string, cfg ExecStartConfig) error {
	if err := e.enter("ContainerExecStart"); err != nil {
		return err
	}
	e.mu.Lock()
	ex := e.execs[id]
	if ex == nil {
		e.mu.Unlock()
		return notFoundf("No such exec instance: %s", id)
	}
	if ex.started {
		e.mu.Unlock()
		return errdefs.Errorf(errdefs.ErrConflict, "%s", "exec "+id+" has already been started")
	}
	ex.started, ex.running = true, true
	e.mu.Unlock()
	var stdin io.Reader = strings.NewReader("")
	if cfg.Stdin != nil && ex.cfg.AttachStdin {
		stdin = cfg.Stdin
	}
	done := make(chan struct{})
	out := func(src string, b []byte) {
		if !cfg.Detach {
			_ = writeMsg(cfg.AttachStreams, LogMessage{Source: src, Line: b})
		}
	}
	exit := func(code int) {
		e.mu.Lock()
		ex.running, ex.code = false, &code
		e.mu.Unlock()
		close(done)
	}
	go e.run(nil, ex.cfg.Cmd, stdin, make(chan int), out, exit)
	if cfg.Detach {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *fakeEngine) ContainerExecResize(_ context.Context, id string, h, w uint32) error {
	if err := e.enter("ContainerExecResize"); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.execs[id] == nil {
		return notFoundf("No such exec instance: %s", id)
	}
	return nil
}
