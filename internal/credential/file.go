package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/registry"
)

// DockerHubKey is the key Docker Hub credentials are stored under.
const DockerHubKey = "https://index.docker.io/v1/"

// entry is one "auths" entry of config.json.
type entry struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// File is a docker client configuration file, as far as credentials go.
type File struct {
	path        string
	fields      map[string]json.RawMessage // every field, rewritten by Save
	auths       map[string]entry
	credsStore  string
	credHelpers map[string]string
}

// Load reads dir/config.json; a missing file is an empty configuration.
func Load(dir string) (*File, error) {
	f := &File{path: filepath.Join(dir, "config.json"), fields: map[string]json.RawMessage{},
		auths: map[string]entry{}, credHelpers: map[string]string{}}
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(raw, &f.fields); err != nil {
		return nil, fmt.Errorf("loading config file %s: %w", f.path, err)
	}
	for name, dst := range map[string]any{"auths": &f.auths, "credsStore": &f.credsStore, "credHelpers": &f.credHelpers} {
		if v, ok := f.fields[name]; ok {
			if err := json.Unmarshal(v, dst); err != nil {
				return nil, fmt.Errorf("loading config file %s: %s: %w", f.path, name, err)
			}
		}
	}
	return f, nil
}

// Path is the file's location.
func (f *File) Path() string { return f.path }

// Key is the entry name of a registry host: Docker Hub's URL for
// docker.io, the host[:port] otherwise.
func Key(host string) string {
	if host == "" || host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" {
		return DockerHubKey
	}
	return host
}

// helper returns the credential helper for key, or "".
func (f *File) helper(key string) string {
	if h := f.credHelpers[key]; h != "" {
		return h
	}
	return f.credsStore
}

// Get returns the credentials stored for key (see Key); none is a zero
// AuthConfig with ServerAddress set.
func (f *File) Get(key string) (registry.AuthConfig, error) {
	if h := f.helper(key); h != "" {
		return helperGet(h, key)
	}
	e, ok := f.auths[key]
	if !ok {
		for k, v := range f.auths { // legacy keys: "https://host/v1/"
			if hostOf(k) == hostOf(key) {
				e, ok = v, true
				break
			}
		}
	}
	cfg := registry.AuthConfig{ServerAddress: key}
	if !ok {
		return cfg, nil
	}
	cfg.IdentityToken, cfg.RegistryToken = e.IdentityToken, e.RegistryToken
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return cfg, fmt.Errorf("invalid auth entry for %s in %s: %w", key, f.path, err)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return cfg, fmt.Errorf("invalid auth entry for %s in %s: no colon", key, f.path)
		}
		cfg.Username, cfg.Password = user, pass
	}
	return cfg, nil
}

// hostOf reduces a legacy key ("https://host/v1/") to its host.
func hostOf(k string) string {
	if _, rest, ok := strings.Cut(k, "://"); ok {
		k = rest
	}
	k, _, _ = strings.Cut(k, "/")
	return k
}

// Store saves credentials under cfg.ServerAddress (a key): in the helper
// when one is configured, else in the file. An identity token is stored
// in place of the password.
func (f *File) Store(cfg registry.AuthConfig) error {
	key := cfg.ServerAddress
	if h := f.helper(key); h != "" {
		if err := helperStore(h, cfg); err != nil {
			return err
		}
		f.auths[key] = entry{} // docker keeps an empty entry as a marker
		return f.Save()
	}
	e := entry{IdentityToken: cfg.IdentityToken}
	if cfg.Username != "" || cfg.Password != "" {
		pass := cfg.Password
		if cfg.IdentityToken != "" {
			pass = ""
		}
		e.Auth = base64.StdEncoding.EncodeToString([]byte(cfg.Username + ":" + pass))
	}
	f.auths[key] = e
	return f.Save()
}

// Erase removes the credentials of key; it reports whether there were any.
func (f *File) Erase(key string) (bool, error) {
	_, inFile := f.auths[key]
	delete(f.auths, key)
	if h := f.helper(key); h != "" {
		if err := helperErase(h, key); err != nil {
			return inFile, err
		}
	}
	if !inFile {
		return false, nil
	}
	return true, f.Save()
}

// Unencrypted reports whether credentials for key are stored in the file
// itself (docker warns about it).
func (f *File) Unencrypted(key string) bool { return f.helper(key) == "" }

// Save writes the file atomically (mode 0600), keeping its other fields.
func (f *File) Save() error {
	auths, err := json.Marshal(f.auths)
	if err != nil {
		return err
	}
	f.fields["auths"] = auths
	raw, err := json.MarshalIndent(f.fields, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// Encode returns cfg as an X-Registry-Auth header value (base64url JSON).
func Encode(cfg registry.AuthConfig) (string, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}
