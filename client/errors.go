package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// Error is an error answered by the daemon: its HTTP status, its message and
// the errdefs kind the status maps to (reachable with errors.Is).
type Error struct {
	StatusCode int
	Message    string
	kind       error
}

// Error renders the message the way the docker CLI prints daemon errors.
func (e *Error) Error() string { return "Error response from daemon: " + e.Message }

// Unwrap returns the errdefs kind of the error.
func (e *Error) Unwrap() error { return e.kind }

// kindForStatus is the one status → kind table of the client.
func kindForStatus(status int) error {
	switch status {
	case http.StatusNotModified:
		return errdefs.ErrNotModified
	case http.StatusBadRequest:
		return errdefs.ErrInvalidArgument
	case http.StatusUnauthorized:
		return errdefs.ErrUnauthorized
	case http.StatusForbidden:
		return errdefs.ErrPermissionDenied
	case http.StatusNotFound:
		return errdefs.ErrNotFound
	case http.StatusConflict:
		return errdefs.ErrConflict
	case http.StatusNotImplemented:
		return errdefs.ErrNotImplemented
	case http.StatusServiceUnavailable:
		return errdefs.ErrUnavailable
	}
	if status >= 500 {
		return errdefs.ErrInternal
	}
	if status >= 400 {
		return errdefs.ErrInvalidArgument
	}
	return errdefs.ErrInternal
}

// errorFromResponse reads a failed response's body (`{"message": ...}` or
// plain text) and returns the matching *Error. It does not close the body.
func errorFromResponse(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	msg := ""
	var jerr struct {
		Message string `json:"message"`
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && json.Unmarshal(body, &jerr) == nil {
		msg = jerr.Message
	} else if json.Unmarshal(body, &jerr) == nil && jerr.Message != "" {
		msg = jerr.Message
	} else {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" {
		msg = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return &Error{StatusCode: resp.StatusCode, Message: msg, kind: kindForStatus(resp.StatusCode)}
}

// ConnectError reports that the daemon could not be reached. It is of kind
// errdefs.ErrUnavailable and keeps the dial error as its cause.
type ConnectError struct {
	Host  string
	Cause error
}

// Error renders the message docker prints when its daemon is down.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("Cannot connect to the Berth daemon at %s. Is the daemon running?", e.Host)
}

// Unwrap returns both the kind and the cause.
func (e *ConnectError) Unwrap() []error { return []error{errdefs.ErrUnavailable, e.Cause} }

// IsConnectError reports whether err says the daemon could not be reached.
func IsConnectError(err error) bool {
	var ce *ConnectError
	return errors.As(err, &ce)
}

// kindError gives a message an errdefs kind without changing its text.
type kindError struct {
	err  error
	kind error
}

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.err, e.kind} }

// invalidArgument marks err as errdefs.ErrInvalidArgument.
func invalidArgument(err error) error { return kindError{err: err, kind: errdefs.ErrInvalidArgument} }
