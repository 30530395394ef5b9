package credential

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"psFormat":"table {{.ID}}","auths":{"https://old.example/v1/":{"auth":"`+
		base64.StdEncoding.EncodeToString([]byte("bob:builder"))+`"}}}`), 0o600)
	f, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Get("old.example"); got.Username != "bob" || got.Password != "builder" {
		t.Fatalf("legacy key: %+v", got)
	}
	if got, _ := f.Get("none.example"); got.Username != "" || got.ServerAddress != "none.example" {
		t.Fatalf("missing entry: %+v", got)
	}
	if err := f.Store(registry.AuthConfig{Username: "alice", Password: "wonder:land", ServerAddress: Key("docker.io")}); err != nil {
		t.Fatal(err)
	}
	if err := f.Store(registry.AuthConfig{Username: "carol", IdentityToken: "refresh", ServerAddress: "r.example:5000"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc["psFormat"] != "table {{.ID}}" {
		t.Fatalf("other fields lost: %v %s", err, raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "config.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	f2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f2.Get(DockerHubKey); got.Username != "alice" || got.Password != "wonder:land" {
		t.Errorf("docker hub: %+v", got)
	}
	if got, _ := f2.Get("r.example:5000"); got.Username != "carol" || got.IdentityToken != "refresh" || got.Password != "" {
		t.Errorf("identity token: %+v", got)
	}
	if ok, err := f2.Erase("r.example:5000"); !ok || err != nil {
		t.Fatalf("erase: %v %v", ok, err)
	}
	if ok, _ := f2.Erase("r.example:5000"); ok {
		t.Fatal("erased twice")
	}
}

// TestHelper runs a fake docker-credential-fake that keeps its store in
// a file.
func TestHelper(t *testing.T) {
	bin := t.TempDir()
	store := filepath.Join(bin, "store")
	script := `#!/bin/sh
case "$1" in
get) key=$(cat); grep -q "\"ServerURL\":\"$key\"" ` + store + ` 2>/dev/null && grep "\"ServerURL\":\"$key\"" ` + store + ` || { echo "credentials not found in native keychain"; exit 1; } ;;
store) cat >> ` + store + `; echo >> ` + store + ` ;;
erase) key=$(cat); grep -v "\"ServerURL\":\"$key\"" ` + store + ` > ` + store + `.new; mv ` + store + `.new ` + store + ` ;;
esac
`
	os.WriteFile(filepath.Join(bin, "docker-credential-fake"), []byte(script), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore":"fake"}`), 0o600)
	f, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.Get("r.example"); err != nil || got.Username != "" {
		t.Fatalf("empty helper: %+v %v", got, err)
	}
	if err := f.Store(registry.AuthConfig{Username: "alice", Password: "pw", ServerAddress: "r.example"}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Get("r.example"); err != nil || got.Username != "alice" || got.Password != "pw" {
		t.Fatalf("helper get: %+v %v", got, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if strings.Contains(string(raw), "pw") || f.Unencrypted("r.example") {
		t.Fatalf("secret in the file: %s", raw)
	}
	if _, err := f.Erase("r.example"); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Get("r.example"); got.Username != "" {
		t.Fatalf("after erase: %+v", got)
	}
}
