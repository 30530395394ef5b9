// Package archive reads and writes image layer tars: Apply unpacks a layer
// into a directory (an overlay upperdir or a plain tree), WriteOverlayDiff and
// WriteDiff produce a layer from a container's changes, Decompress detects a
// layer's compression, and SecureJoin joins container-controlled paths.
//
// Place in the run flow: image unpack (pull, load, import) applies layers
// into snapshots; commit and build turn a container snapshot back into a
// layer.
//
// Whiteouts. Layers use the OCI/AUFS form: an empty file ".wh.<name>" deletes
// <name> from the layers below, and ".wh..wh..opq" in a directory hides
// everything the layers below put in it. Apply converts them to overlayfs
// form when the target is an overlay upperdir (a 0:0 character device; the
// xattr trusted.overlay.opaque=y on the directory) or applies them as
// deletions to a plain tree; the diff writers convert back.
//
// Hostile input. Every entry name is cleaned and made relative; a name,
// hard-link target or whiteout that climbs out of the root ("../x") is
// refused with errdefs.ErrInvalidArgument, as are unsupported entry types.
// Parent directories are resolved inside the root the way the container
// will see them (a symlink to "/etc" means <root>/etc), with
// cyphar/filepath-securejoin; the final component is never followed: an
// entry replaces whatever is there. Extended attributes in the overlay
// namespace (trusted.overlay.*) are dropped so a layer cannot forge overlay
// metadata. These guarantees assume nothing else writes to the target
// during Apply, which holds for image unpack into a fresh snapshot; code
// that reads trees a running container controls must use fd-relative
// walking (see mount.ReadFile).
//
// The tar code is hand-written rather than taken from moby/go-archive: that
// module brings logrus and containerd/log and applies layers through a
// chroot re-exec, while unpack here needs overlay conversion into an
// upperdir without mounting and a small, auditable attack surface.
//
// It is a leaf: besides third-party modules it imports only errdefs (for the
// error kinds shared by the whole tree).
package archive
