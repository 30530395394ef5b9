package credential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"

	"github.com/moby/moby/api/types/registry"
)

// tokenUser is the username a helper stores an identity token under.
const tokenUser = "<token>"

// helperCreds is the JSON of the helper protocol.
type helperCreds struct {
	ServerURL string
	Username  string
	Secret    string
}

// runHelper runs docker-credential-<name> action with input on stdin.
func runHelper(name, action string, input []byte) ([]byte, error) {
	cmd := exec.Command("docker-credential-"+name, action)
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			msg = strings.TrimSpace(errb.String())
		}
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), fmt.Errorf("error getting credentials - err: %v, out: `%s`", err, msg)
	}
	return out.Bytes(), nil
}

func helperGet(name, key string) (registry.AuthConfig, error) {
	cfg := registry.AuthConfig{ServerAddress: key}
	out, err := runHelper(name, "get", []byte(key))
	if err != nil {
		if strings.Contains(string(out), "credentials not found") {
			return cfg, nil
		}
		return cfg, err
	}
	var c helperCreds
	if err := json.Unmarshal(out, &c); err != nil {
		return cfg, fmt.Errorf("credential helper %s: %w", name, err)
	}
	if c.Username == tokenUser {
		cfg.IdentityToken = c.Secret
	} else {
		cfg.Username, cfg.Password = c.Username, c.Secret
	}
	return cfg, nil
}

func helperStore(name string, cfg registry.AuthConfig) error {
	c := helperCreds{ServerURL: cfg.ServerAddress, Username: cfg.Username, Secret: cfg.Password}
	if cfg.IdentityToken != "" {
		c.Username, c.Secret = tokenUser, cfg.IdentityToken
	}
	in, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = runHelper(name, "store", in)
	return err
}

func helperErase(name, key string) error {
	_, err := runHelper(name, "erase", []byte(key))
	return err
}
