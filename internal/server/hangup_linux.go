package server

import (
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchHangup calls hangup when the peer has closed conn completely
// (EPOLLHUP; a half-close, which ends stdin, is not a hang-up). It watches a
// duplicate of the socket so conn can be closed at any time; the returned
// stop ends the watch and releases the duplicate. On TCP a peer's close is
// only seen as a half-close, so there a hang-up shows as a write error.
func watchHangup(conn net.Conn, hangup func()) (stop func()) {
	noop := func() {}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return noop
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return noop
	}
	dup := -1
	if cerr := rc.Control(func(fd uintptr) { dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); cerr != nil || err != nil {
		return noop
	}
	w, err := newHangupWatch(dup)
	if err != nil {
		_ = unix.Close(dup)
		return noop
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if w.wait() {
			hangup()
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.wake()
			<-done
			w.close()
		})
	}
}

// hangupWatch is an epoll set with the socket and an eventfd to wake it.
type hangupWatch struct{ ep, sock, wakefd int }

func newHangupWatch(sock int) (*hangupWatch, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(ep)
		return nil, err
	}
	w := &hangupWatch{ep: ep, sock: sock, wakefd: efd}
	// EPOLLHUP and EPOLLERR are always reported; nothing else is asked for.
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, sock, &unix.EpollEvent{Fd: int32(sock)}); err == nil {
		err = unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)})
	}
	if err != nil {
		_ = unix.Close(ep)
		_ = unix.Close(efd)
		return nil, err
	}
	return w, nil
}

// wait blocks until the socket hangs up (true) or wake is called (false).
func (w *hangupWatch) wait() bool {
	evs := make([]unix.EpollEvent, 2)
	for {
		n, err := unix.EpollWait(w.ep, evs, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		for _, ev := range evs[:n] {
			if int(ev.Fd) == w.wakefd {
				return false
			}
			if ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				return true
			}
		}
	}
}

func (w *hangupWatch) wake() {
	var one = [8]byte{1}
	_, _ = unix.Write(w.wakefd, one[:])
}

func (w *hangupWatch) close() {
	_ = unix.Close(w.ep)
	_ = unix.Close(w.wakefd)
	_ = unix.Close(w.sock)
}
