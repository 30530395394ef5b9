package logfile

import (
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// followPoll is how often a follower re-checks the file without an event
// (a safety net: inotify wakes it).
const followPoll = time.Second

// watcher wakes a follower when the log's directory changes (a write, a
// rotation, a new file). C may be nil: the follower then polls.
type watcher struct {
	C <-chan struct{}
	f *os.File
}

// newWatcher watches the directory of path with inotify. Failing that it
// returns a watcher without channel; the follower's poll still works.
func newWatcher(path string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return &watcher{}
	}
	const mask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), mask); err != nil {
		unix.Close(fd)
		return &watcher{}
	}
	c := make(chan struct{}, 1)
	w := &watcher{C: c, f: os.NewFile(uintptr(fd), "inotify")}
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := w.f.Read(buf); err != nil {
				return
			}
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// Close stops the watcher.
func (w *watcher) Close() {
	if w.f != nil {
		w.f.Close()
	}
}
