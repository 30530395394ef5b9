// Package shim is the container monitor (`berth-runtime monitor`): it owns
// containers' stdio, writes their logs, reaps them and keeps their exit
// statuses, so containers outlive berthd.
package shim
