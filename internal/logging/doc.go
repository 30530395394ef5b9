// Package logging is the log/slog glue shared by every package: the logger
// travels in the context (WithLogger/From, the slog version of containerd's
// log.G(ctx)) and attribute keys are fixed constants.
//
// Only cmd/* and internal/daemon choose handlers and levels; libraries never
// call slog.SetDefault. It is a leaf: standard library only.
package logging
