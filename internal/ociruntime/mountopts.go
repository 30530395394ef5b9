package ociruntime

import (
	"strings"

	"golang.org/x/sys/unix"
)

// mountOpts is a spec mount's options split into mount(2) arguments.
type mountOpts struct {
	flags       uintptr   // MS_* for the mount itself
	clear       uintptr   // MS_* explicitly cleared (rw, suid, dev, exec, atime...)
	propagation []uintptr // MS_PRIVATE, MS_SLAVE|MS_REC, ... applied after the mount
	data        string    // everything else, comma-joined, for the filesystem
}

var mountFlagTable = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC}, "remount": {false, unix.MS_REMOUNT},
	"mand": {false, unix.MS_MANDLOCK}, "nomand": {true, unix.MS_MANDLOCK},
	"atime": {true, unix.MS_NOATIME}, "noatime": {false, unix.MS_NOATIME},
	"diratime": {true, unix.MS_NODIRATIME}, "nodiratime": {false, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"nosymfollow": {false, unix.MS_NOSYMFOLLOW}, "symfollow": {true, unix.MS_NOSYMFOLLOW},
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
}

var propagationTable = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parseMountOptions splits spec mount options. Unknown options go to data;
// recursive mount_setattr options (rro, ...) and idmap are ignored.
func parseMountOptions(options []string) mountOpts {
	var o mountOpts
	var data []string
	for _, opt := range options {
		if f, ok := mountFlagTable[opt]; ok {
			if f.clear {
				o.flags &^= f.flag
				o.clear |= f.flag
			} else {
				o.flags |= f.flag
				o.clear &^= f.flag
			}
			continue
		}
		if p, ok := propagationTable[opt]; ok {
			o.propagation = append(o.propagation, p)
			continue
		}
		switch opt {
		case "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
			"rnoatime", "ratime", "rrelatime", "rnorelatime", "rstrictatime", "idmap", "ridmap":
			continue
		}
		data = append(data, opt)
	}
	o.data = strings.Join(data, ",")
	return o
}

// isBind reports whether a spec mount is a bind mount.
func isBind(typ string, o mountOpts) bool {
	return typ == "bind" || o.flags&unix.MS_BIND != 0
}
