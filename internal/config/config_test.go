package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"100", 100, false},
		{"20m", 20 << 20, false},
		{"20MB", 20 << 20, false},
		{"1.5k", 1536, false},
		{"1g", 1 << 30, false},
		{"x", 0, true},
		{"-3m", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestValidateDefaultsLogCap(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	size, files, err := ParseLogOpts(c.LogOpts)
	if err != nil || size != 20<<20 || files != 3 {
		t.Fatalf("default log cap = %d x %d, %v; want 20 MiB x 3", size, files, err)
	}
	if c.Hosts[0] != DefaultHost {
		t.Fatalf("hosts = %v", c.Hosts)
	}
}

func TestLogOptsErrors(t *testing.T) {
	for _, opts := range []map[string]string{
		{"max-size": "lots"},
		{"max-file": "0"},
		{"bogus": "1"},
	} {
		if _, _, err := ParseLogOpts(opts); err == nil {
			t.Errorf("ParseLogOpts(%v): want error", opts)
		}
	}
}

func TestLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(p, []byte(`{"data-root":"/x","log-opts":{"max-size":"1m"},"runtimes":{"runc":{"path":"/usr/sbin/runc"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(p, true); err != nil {
		t.Fatal(err)
	}
	if c.DataRoot != "/x" || c.LogOpts["max-size"] != "1m" || c.Runtimes["runc"].Path != "/usr/sbin/runc" {
		t.Fatalf("loaded %+v", c)
	}
	if err := c.LoadFile(filepath.Join(t.TempDir(), "none.json"), false); err != nil {
		t.Fatalf("missing optional file: %v", err)
	}
	if err := c.AddRuntime("bad"); err == nil {
		t.Fatal("AddRuntime(bad): want error")
	}
}
