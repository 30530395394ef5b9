//go:build !linux

package mount

import "errors"

var errNotLinux = errors.New("mounts are only supported on linux")

// Mount performs m on target.
func (m Mount) Mount(target string) error { return errNotLinux }

// All mounts every mount in order on target.
func All(mounts []Mount, target string) error { return errNotLinux }

// UnmountAll unmounts every mount stacked on target.
func UnmountAll(target string, flags int) error { return errNotLinux }

// ReadFile reads a file of the root filesystem described by mounts.
func ReadFile(mounts []Mount, p string) ([]byte, error) { return nil, errNotLinux }
