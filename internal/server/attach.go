package server

import (
	"errors"
	"net/http"

	"github.com/berthproject/berth/internal/logging"
)

// postContainerAttach answers POST /containers/{name}/attach with a
// hijacked stream. The backend checks the container first; errors until it
// asks for the streams are ordinary HTTP errors.
func (s *Server) postContainerAttach(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.detachKeysParam(r.URL.Query().Get("detachKeys"))
	if err != nil {
		return err
	}
	ctx, cancel, release := s.hijackContext(r)
	defer cancel()
	useIn, useOut, useErr := boolValue(r, "stdin"), boolValue(r, "stdout"), boolValue(r, "stderr")
	var hc *hijackedConn
	cfg := AttachConfig{
		UseStdin: useIn, UseStdout: useOut, UseStderr: useErr,
		Logs: boolValue(r, "logs"), Stream: boolValue(r, "stream"),
		GetStreams: func(tty bool) (AttachStreams, error) {
			if hc != nil {
				return AttachStreams{}, errors.New("attach streams requested twice")
			}
			release()
			var err error
			if hc, err = s.hijack(w, r, !tty, cancel); err != nil {
				return AttachStreams{}, err
			}
			return hc.streams(tty, useIn, useOut, useErr, keys, cancel), nil
		},
	}
	err = s.opts.Containers.ContainerAttach(ctx, r.PathValue("name"), cfg)
	if hc == nil {
		return err
	}
	defer hc.close()
	if err != nil && ctx.Err() == nil {
		logging.From(ctx).Warn("attach failed", logging.KeyContainerID, r.PathValue("name"), logging.Err(err))
	}
	return nil
}

// detachKeysParam parses the detachKeys parameter, defaulting to the
// daemon's keys.
func (s *Server) detachKeysParam(v string) ([]byte, error) {
	if v == "" {
		v = s.opts.DetachKeys
	}
	return detachKeys(v)
}
