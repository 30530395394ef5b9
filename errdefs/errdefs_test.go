package errdefs

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestKinds(t *testing.T) {
	cause := errors.New("disk on fire")
	for _, tc := range []struct {
		err  error
		is   func(error) bool
		want string
	}{
		{fmt.Errorf("container %q: %w", "x", ErrNotFound), IsNotFound, `container "x": not found`},
		{Errorf(ErrNotFound, "No such container: %s", "x"), IsNotFound, "No such container: x"},
		{Errorf(ErrConflict, "cannot remove: %w", cause), IsConflict, "cannot remove: disk on fire"},
		{Errorf(ErrInvalidArgument, "bad"), IsInvalidArgument, "bad"},
		{fmt.Errorf("wrapped: %w", Errorf(ErrUnavailable, "busy")), IsUnavailable, "wrapped: busy"},
		{context.Canceled, IsCanceled, "context canceled"},
	} {
		if !tc.is(tc.err) {
			t.Errorf("%v: kind not found", tc.err)
		}
		if tc.err.Error() != tc.want {
			t.Errorf("message = %q, want %q", tc.err.Error(), tc.want)
		}
	}
	if err := Errorf(ErrConflict, "x: %w", ErrNotFound); !IsNotFound(err) || !IsConflict(err) {
		t.Error("Errorf must keep both the kind and a wrapped cause")
	}
	if IsNotFound(Errorf(ErrConflict, "x")) {
		t.Error("conflict reported as not found")
	}
}
