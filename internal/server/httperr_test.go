package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

func TestStatusFromError(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{errdefs.ErrNotFound, http.StatusNotFound},
		{fmt.Errorf("container %q: %w", "x", errdefs.ErrNotFound), http.StatusNotFound},
		{errdefs.ErrInvalidArgument, http.StatusBadRequest},
		{errdefs.ErrAlreadyExists, http.StatusConflict},
		{errdefs.ErrConflict, http.StatusConflict},
		{errdefs.ErrUnauthorized, http.StatusUnauthorized},
		{errdefs.ErrPermissionDenied, http.StatusForbidden},
		{errdefs.ErrNotModified, http.StatusNotModified},
		{errdefs.ErrUnavailable, http.StatusServiceUnavailable},
		{errdefs.ErrNotImplemented, http.StatusNotImplemented},
		{errdefs.ErrInternal, http.StatusInternalServerError},
		{errors.New("plain"), http.StatusInternalServerError},
		{context.Canceled, http.StatusInternalServerError},
		{fmt.Errorf("two kinds: %w, %w", errdefs.ErrConflict, errdefs.ErrNotFound), http.StatusConflict},
		{errdefs.Errorf(errdefs.ErrInvalidArgument, "bad name: %w", errdefs.Errorf(errdefs.ErrNotFound, "No such image: x")), http.StatusBadRequest},
		{fmt.Errorf("wrapped: %w", fmt.Errorf("deeper: %w", errdefs.ErrUnavailable)), http.StatusServiceUnavailable},
		{invalidf("bad"), http.StatusBadRequest},
		{fmt.Errorf("cannot kill container: x: %w", errdefs.Errorf(errdefs.ErrConflict, "not running")), http.StatusConflict},
	}
	for _, tt := range tests {
		if got := statusFromError(tt.err); got != tt.status {
			t.Errorf("statusFromError(%v) = %d, want %d", tt.err, got, tt.status)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err  error
		code int
		body string
	}{
		{errdefs.Errorf(errdefs.ErrNotFound, "No such container: xyz"), 404, `{"message":"No such container: xyz"}` + "\n"},
		{fmt.Errorf("oops <&>: %w", errdefs.ErrInternal), 500, `{"message":"oops <&>: internal error"}` + "\n"},
		{errdefs.ErrNotModified, 304, ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		writeError(w, tt.err)
		if w.Code != tt.code || w.Body.String() != tt.body {
			t.Errorf("writeError(%v) = %d %q, want %d %q", tt.err, w.Code, w.Body.String(), tt.code, tt.body)
		}
	}
}
