package server

import (
	"fmt"
	"net/http"

	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/moby/api/types/container"
)

// postExecCreate answers POST /containers/{name}/exec with 201 {Id}.
func (s *Server) postExecCreate(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if len(req.Cmd) == 0 {
		return invalidf("No exec command specified")
	}
	if versionLess(r, "1.42") {
		req.ConsoleSize = nil
	}
	if req.DetachKeys != "" {
		if _, err := detachKeys(req.DetachKeys); err != nil {
			return err
		}
	}
	id, err := s.opts.Containers.ContainerExecCreate(r.Context(), r.PathValue("name"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, &container.ExecCreateResponse{ID: id})
}

// getExecInspect answers GET /exec/{id}/json.
func (s *Server) getExecInspect(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.opts.Containers.ContainerExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ex)
}

// postExecResize answers POST /exec/{id}/resize?h=&w=.
func (s *Server) postExecResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := resizeParams(r)
	if err != nil {
		return err
	}
	return s.opts.Containers.ContainerExecResize(r.Context(), r.PathValue("id"), h, wd)
}

// postExecStart answers POST /exec/{id}/start. Detached, it answers 200
// once the process started. Otherwise it hijacks the connection (like
// attach) and returns when the process ended; errors after the hijack are
// written to the stream as dockerd does.
func (s *Server) postExecStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	ex, err := s.opts.Containers.ContainerExecInspect(r.Context(), id)
	if err != nil {
		return err
	}
	if versionLess(r, "1.42") || !req.Tty {
		req.ConsoleSize = nil
	}
	cfg := ExecStartConfig{Detach: req.Detach, ConsoleSize: req.ConsoleSize}
	if req.Detach {
		if err := s.opts.Containers.ContainerExecStart(r.Context(), id, cfg); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	keys := ex.DetachKeys
	if len(keys) == 0 {
		if keys, err = detachKeys(s.opts.DetachKeys); err != nil {
			return err
		}
	}
	ctx, cancel, release := s.hijackContext(r)
	defer cancel()
	release()
	hc, err := s.hijack(w, r, !req.Tty, cancel)
	if err != nil {
		return err
	}
	defer hc.close()
	cfg.AttachStreams = hc.streams(req.Tty, true, true, true, keys, cancel)
	if err := s.opts.Containers.ContainerExecStart(ctx, id, cfg); err != nil && ctx.Err() == nil {
		logging.From(ctx).Warn("exec failed", logging.KeyExecID, id, logging.Err(err))
		_, _ = fmt.Fprintf(cfg.Stdout, "%v\r\n", err)
	}
	return nil
}
