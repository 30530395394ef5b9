//go:build !cgo

package nsenter

// Available reports whether the constructor is linked in: without cgo it is
// not, and berth-runtime refuses specs that join existing namespaces (and
// exec, which joins a container's).
const Available = false
