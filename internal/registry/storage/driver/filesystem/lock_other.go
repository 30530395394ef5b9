//go:build !unix

package filesystem

// Lock is a no-op where flock does not exist.
func (d *Driver) Lock(exclusive bool) (release func(), err error) { return func() {}, nil }
