package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/config"
	"github.com/berthproject/berth/internal/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// remapDefaultUser is the user --userns-remap=default names (dockerd's).
const remapDefaultUser = "dockremap"

// idFiles are the files a remapping is resolved with.
type idFiles struct {
	passwd, group, subuid, subgid string
}

func hostIDFiles(cfg config.Config) idFiles {
	f := idFiles{passwd: "/etc/passwd", group: "/etc/group", subuid: cfg.SubUIDFile, subgid: cfg.SubGIDFile}
	if f.subuid == "" {
		f.subuid = "/etc/subuid"
	}
	if f.subgid == "" {
		f.subgid = "/etc/subgid"
	}
	return f
}

// usernsRemap resolves --userns-remap ("default", USER[:GROUP] or
// UID[:GID]) to the mappings of the containers' user namespace: the
// user's subordinate ID ranges laid end to end from container ID 0, as
// dockerd does. Unlike dockerd it does not create the dockremap user nor
// its ranges: a missing range is an error saying what to add.
func usernsRemap(spec string, f idFiles) (*oci.UserNamespace, error) {
	if spec == "" {
		return nil, nil
	}
	user, group, _ := strings.Cut(spec, ":")
	if user == "default" && group == "" {
		user = remapDefaultUser
	}
	if group == "" {
		group = user
	}
	uname, uid := lookupID(f.passwd, user)
	gname, gid := lookupID(f.group, group)
	uids, err := subIDs(f.subuid, uname, uid)
	if err != nil {
		return nil, err
	}
	gids, err := subIDs(f.subgid, gname, gid)
	if err != nil {
		return nil, err
	}
	return &oci.UserNamespace{UIDs: uids, GIDs: gids}, nil
}

// lookupID finds name or number in a passwd or group file and returns
// both (a name or number it does not list comes back alone).
func lookupID(file, v string) (name, id string) {
	b, _ := os.ReadFile(file)
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && (f[0] == v || f[2] == v) {
			return f[0], f[2]
		}
	}
	if _, err := strconv.ParseUint(v, 10, 32); err == nil {
		return "", v
	}
	return v, ""
}

// subIDs reads the ranges of name (or id) in a subuid/subgid file.
func subIDs(file, name, id string) ([]specs.LinuxIDMapping, error) {
	b, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("userns-remap: %w", err)
	}
	var out []specs.LinuxIDMapping
	var next uint32
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(f) != 3 || f[0] == "" || (f[0] != name && f[0] != id) {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		size, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || size == 0 {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "userns-remap: bad line %q in %s", sc.Text(), file)
		}
		out = append(out, specs.LinuxIDMapping{ContainerID: next, HostID: uint32(start), Size: uint32(size)})
		next += uint32(size)
	}
	if len(out) == 0 {
		who := name
		if who == "" {
			who = id
		}
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument,
			"userns-remap: no subordinate ID range for %q in %s: add a line such as %s:100000:65536", who, file, who)
	}
	return out, nil
}
