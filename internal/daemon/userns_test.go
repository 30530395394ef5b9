package daemon

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestUsernsRemap(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := idFiles{
		passwd: write("passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"),
		group:  write("group", "root:x:0:\nstaff:x:50:\n"),
		subuid: write("subuid", "alice:100000:65536\ndockremap:200000:1000\ndockremap:300000:1000\n2000:400000:10\n"),
		subgid: write("subgid", "staff:500000:65536\ndockremap:200000:2000\n1000:600000:65536\n2000:700000:10\n"),
	}
	m := func(c, h, s uint32) specs.LinuxIDMapping {
		return specs.LinuxIDMapping{ContainerID: c, HostID: h, Size: s}
	}
	tests := []struct {
		spec string
		want *oci.UserNamespace
		err  string
	}{
		{spec: "", want: nil},
		{spec: "default", want: &oci.UserNamespace{UIDs: []specs.LinuxIDMapping{m(0, 200000, 1000), m(1000, 300000, 1000)}, GIDs: []specs.LinuxIDMapping{m(0, 200000, 2000)}}},
		{spec: "alice:staff", want: &oci.UserNamespace{UIDs: []specs.LinuxIDMapping{m(0, 100000, 65536)}, GIDs: []specs.LinuxIDMapping{m(0, 500000, 65536)}}},
		{spec: "1000", want: &oci.UserNamespace{UIDs: []specs.LinuxIDMapping{m(0, 100000, 65536)}, GIDs: []specs.LinuxIDMapping{m(0, 600000, 65536)}}},
		{spec: "2000:2000", want: &oci.UserNamespace{UIDs: []specs.LinuxIDMapping{m(0, 400000, 10)}, GIDs: []specs.LinuxIDMapping{m(0, 700000, 10)}}},
		{spec: "bob", err: `no subordinate ID range for "bob"`},
	}
	for _, tc := range tests {
		got, err := usernsRemap(tc.spec, f)
		if tc.err != "" {
			if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v", tc.spec, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}
