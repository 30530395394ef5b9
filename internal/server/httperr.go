package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/common"
)

// statusTable maps errdefs kinds to HTTP statuses, as dockerd's
// httpstatus.FromError does. It is the only such table in berthd: handlers
// return errors, never statuses. The first kind found in err's chain wins,
// in table order.
var statusTable = []struct {
	kind   error
	status int
}{
	{errdefs.ErrNotFound, http.StatusNotFound},
	{errdefs.ErrInvalidArgument, http.StatusBadRequest},
	{errdefs.ErrAlreadyExists, http.StatusConflict},
	{errdefs.ErrConflict, http.StatusConflict},
	{errdefs.ErrUnauthorized, http.StatusUnauthorized},
	{errdefs.ErrPermissionDenied, http.StatusForbidden},
	{errdefs.ErrNotModified, http.StatusNotModified},
	{errdefs.ErrUnavailable, http.StatusServiceUnavailable},
	{errdefs.ErrNotImplemented, http.StatusNotImplemented},
}

// statusFromError returns the HTTP status for err: its errdefs kind's, or 500.
func statusFromError(err error) int {
	for _, e := range statusTable {
		if errors.Is(err, e.kind) {
			return e.status
		}
	}
	return http.StatusInternalServerError
}

// writeError answers err as dockerd does: the status of its kind and the
// body {"message": err.Error()}. 304 carries no body (HTTP forbids one).
func writeError(w http.ResponseWriter, err error) {
	status := statusFromError(err)
	if status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	_ = writeJSON(w, status, &common.ErrorResponse{Message: err.Error()})
}

// apiError is an error of a given kind whose message is sent to the client
// exactly as written: wrapping a sentinel with %w would append ": invalid
// argument" to dockerd's wording.
type apiError struct {
	kind error
	msg  string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.kind }

// invalidf returns an ErrInvalidArgument error with a dockerd-style message.
func invalidf(format string, args ...any) error {
	return &apiError{kind: errdefs.ErrInvalidArgument, msg: fmt.Sprintf(format, args...)}
}

// notImplementedf returns an ErrNotImplemented error.
func notImplementedf(format string, args ...any) error {
	return &apiError{kind: errdefs.ErrNotImplemented, msg: fmt.Sprintf(format, args...)}
}

// notFoundf returns an ErrNotFound error.
func notFoundf(format string, args ...any) error {
	return &apiError{kind: errdefs.ErrNotFound, msg: fmt.Sprintf(format, args...)}
}
