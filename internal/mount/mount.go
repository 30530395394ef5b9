package mount

// Mount describes one mount to perform: the arguments of mount(8) as data.
type Mount struct {
	// Type is the filesystem type: "bind", "overlay", "tmpfs", ...
	Type string `json:"type"`
	// Source is the device, directory or pseudo name ("overlay").
	Source string `json:"source"`
	// Options are mount(8) options: flags such as "ro", "rbind", "nosuid"
	// and data such as "lowerdir=...".
	Options []string `json:"options,omitempty"`
}

// ReadOnly reports whether the mount carries the "ro" option.
func (m Mount) ReadOnly() bool {
	for _, o := range m.Options {
		if o == "ro" {
			return true
		}
	}
	return false
}
