package server

import (
	"net/http"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/common"
)

// statusTable maps errdefs kinds to HTTP statuses, as dockerd's
// httpstatus.FromError does. It is the only such table in berthd: handlers
// return errors, never statuses.
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
	{errdefs.ErrInternal, http.StatusInternalServerError},
}

// statusFromError returns the HTTP status for err: that of the outermost
// errdefs kind in its chain (depth first, so errdefs.Errorf(ErrInvalidArgument,
// "...: %w", notFoundErr) is a 400), or 500 when it has none.
func statusFromError(err error) int {
	for err != nil {
		for _, e := range statusTable {
			if err == e.kind {
				return e.status
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				if s := statusFromError(c); s != http.StatusInternalServerError {
					return s
				}
			}
			return http.StatusInternalServerError
		default:
			return http.StatusInternalServerError
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

// invalidf returns an ErrInvalidArgument error with a dockerd-style message
// (errdefs.Errorf keeps the kind's text out of it).
func invalidf(format string, args ...any) error {
	return errdefs.Errorf(errdefs.ErrInvalidArgument, format, args...)
}

// notImplementedf returns an ErrNotImplemented error.
func notImplementedf(format string, args ...any) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, format, args...)
}

// notFoundf returns an ErrNotFound error.
func notFoundf(format string, args ...any) error {
	return errdefs.Errorf(errdefs.ErrNotFound, format, args...)
}
