package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := rootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestGarbageCollectCommand(t *testing.T) {
	out, err := run(t, "garbage-collect", "--root", t.TempDir(), "--dry-run", "--log-level", "warn")
	if err != nil || !strings.Contains(out, "0 repositories, 0 blobs kept; would delete 0 manifests") {
		t.Fatalf("garbage-collect: %v\n%s", err, out)
	}
}

func TestFlagsOverrideConfig(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfgFile, []byte(`{"addr":"127.0.0.1:1","storage":{"rootDir":"/from/file"},"readOnly":false}`), 0o600)
	cmd := &cobra.Command{Use: "serve"}
	var f flags
	f.register(cmd, true)
	if err := cmd.ParseFlags([]string{"--config", cfgFile, "--root", "/from/flag", "--read-only", "--no-sync"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.load(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:1" || c.Storage.RootDir != "/from/flag" || !c.ReadOnly || !c.Storage.NoSync {
		t.Fatalf("config %+v", c)
	}
}

func TestBadConfig(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfgFile, []byte(`{"adress":"typo"}`), 0o600)
	if _, err := run(t, "serve", "--config", cfgFile); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Fatalf("a misspelt setting was accepted: %v", err)
	}
	if _, err := run(t, "serve", "--storage", "inmemory", "--log-format", "xml"); err == nil {
		t.Fatal("log format xml accepted")
	}
}
