package cli

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/term"
)

// defaultDetachKeys is ctrl-p,ctrl-q.
var defaultDetachKeys = []byte{16, 17}

// streamer copies the CLI's streams to and from a hijacked attach or exec
// connection (docker's hijackedIOStreamer): stdin goes up with the detach
// key sequence watched when there is a TTY; output comes down raw with a
// TTY, demultiplexed (stdcopy) without.
type streamer struct {
	cli        *CLI
	in         io.Reader // nil: no stdin
	out, err   io.Writer // nil: not attached
	resp       *client.HijackedResponse
	tty        bool
	detachKeys string
}

// stream runs until output ends, input ends without output, the detach
// keys are typed (term.EscapeError) or ctx ends.
func (s *streamer) stream(ctx context.Context) error {
	restore, err := s.setupInput(ctx)
	if err != nil {
		return errors.New("unable to setup input stream: " + err.Error())
	}
	defer restore()
	outDone := s.copyOutput(ctx, restore)
	inDone, detached := s.copyInput(ctx, restore)
	select {
	case err := <-outDone:
		return err
	case <-inDone:
		if outDone == nil {
			return nil
		}
		select {
		case err := <-outDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	case err := <-detached:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setupInput puts the terminal in raw mode and installs the detach-keys
// proxy when stdin is attached with a TTY.
func (s *streamer) setupInput(ctx context.Context) (func(), error) {
	if s.in == nil || !s.tty {
		return func() {}, nil
	}
	if err := s.cli.in.setRaw(); err != nil {
		return nil, err
	}
	restore := sync.OnceFunc(s.cli.in.restore)
	keys := defaultDetachKeys
	if s.detachKeys != "" {
		if k, err := term.ToBytes(s.detachKeys); err != nil {
			logging.From(ctx).Warn("invalid detach escape keys, using default", logging.Err(err))
		} else {
			keys = k
		}
	}
	s.in = term.NewEscapeProxy(s.in, keys)
	return restore, nil
}

func (s *streamer) copyOutput(ctx context.Context, restore func()) <-chan error {
	if s.out == nil && s.err == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() {
		var err error
		if s.resp.Multiplexed(s.tty) {
			_, err = stdcopy.StdCopy(orDiscard(s.out), orDiscard(s.err), s.resp.Reader)
		} else {
			_, err = io.Copy(orDiscard(s.out), s.resp.Reader)
			restore()
		}
		logging.From(ctx).Debug("attach: end of output", logging.Err(err))
		done <- err
	}()
	return done
}

func (s *streamer) copyInput(ctx context.Context, restore func()) (<-chan struct{}, <-chan error) {
	done := make(chan struct{})
	detached := make(chan error, 1)
	go func() {
		if s.in != nil {
			_, err := io.Copy(s.resp.Conn, s.in)
			restore()
			if errors.As(err, new(term.EscapeError)) {
				detached <- err
				return
			}
			logging.From(ctx).Debug("attach: end of input", logging.Err(err))
		}
		if err := s.resp.CloseWrite(); err != nil {
			logging.From(ctx).Debug("attach: could not send EOF", logging.Err(err))
		}
		close(done)
	}()
	return done, detached
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// isDetach reports whether err is the user typing the detach keys.
func isDetach(err error) bool { return errors.As(err, new(term.EscapeError)) }
