package archive

// ApplyOptions says how Apply writes a layer.
type ApplyOptions struct {
	// Overlay says the target is an overlayfs upperdir: whiteouts become
	// 0:0 character devices and opaque directories get the xattr
	// trusted.overlay.opaque=y (both need root). Otherwise whiteouts are
	// applied as deletions.
	Overlay bool
	// Parents are the lower directories under the upperdir, nearest first.
	// A parent directory that an entry needs and the upperdir lacks is made
	// with the mode, owner and times it has in the nearest lower that has
	// it, so the merged view keeps them.
	Parents []string
}
