//go:build !linux

package logfile

import "time"

// followPoll is how often a follower re-checks the file.
const followPoll = 250 * time.Millisecond

// watcher is a no-op outside Linux: followers poll.
type watcher struct{ C <-chan struct{} }

func newWatcher(string) *watcher { return &watcher{} }

// Close stops the watcher.
func (w *watcher) Close() {}
