package logging

import (
	"context"
	"log/slog"
)

// Standard attribute keys.
const (
	KeyContainerID = "container_id"
	KeyExecID      = "exec_id"
	KeyImageRef    = "image_ref"
	KeySnapshotKey = "snapshot_key"
	KeyRequestID   = "request_id"
	KeyNodeID      = "node_id"
	KeyError       = "error"
)

type ctxKey struct{}

// WithLogger returns a context that carries l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the logger carried by ctx, or slog.Default() when there is none.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// With returns a context whose logger has the given attributes added.
func With(ctx context.Context, args ...any) context.Context {
	return WithLogger(ctx, From(ctx).With(args...))
}

// Err is the standard attribute for an error.
func Err(err error) slog.Attr { return slog.Any(KeyError, err) }
