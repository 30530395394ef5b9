package registry

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/crypto/bcrypt"
)

const (
	// htpasswdRecheck is how often the file's modification time is checked.
	htpasswdRecheck = 5 * time.Second
	// verifiedTTL is how long a checked password is remembered: bcrypt
	// costs tens of milliseconds and docker sends credentials with every
	// request of a push.
	verifiedTTL = 5 * time.Minute
	maxVerified = 4096
)

// htpasswd is a set of users with bcrypt password hashes, read from an
// Apache htpasswd file (htpasswd -B); other hash kinds are refused.
type htpasswd struct {
	path string

	mu       sync.Mutex
	users    map[string][]byte
	modTime  time.Time
	checked  time.Time
	verified map[[32]byte]time.Time // sha256(user, password, hash) → expiry
}

func loadHtpasswd(path string) (*htpasswd, error) {
	h := &htpasswd{path: path, verified: map[[32]byte]time.Time{}}
	if err := h.reload(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *htpasswd) reload() error {
	fi, err := os.Stat(h.path)
	if err != nil {
		return fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	b, err := os.ReadFile(h.path)
	if err != nil {
		return fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	users, err := parseHtpasswd(b)
	if err != nil {
		return fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	h.users, h.modTime, h.checked = users, fi.ModTime(), time.Now()
	clear(h.verified)
	return nil
}

func parseHtpasswd(b []byte) (map[string][]byte, error) {
	users := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d: not user:hash: %w", n, errdefs.ErrInvalidArgument)
		}
		if !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("line %d: user %q: only bcrypt hashes are supported (htpasswd -B): %w", n, user, errdefs.ErrInvalidArgument)
		}
		users[user] = []byte(hash)
	}
	return users, sc.Err()
}

// verify checks a user's password. The file is re-read when it changed.
func (h *htpasswd) verify(user, pass string) bool {
	h.mu.Lock()
	if time.Since(h.checked) > htpasswdRecheck {
		h.checked = time.Now()
		if fi, err := os.Stat(h.path); err == nil && !fi.ModTime().Equal(h.modTime) {
			h.reload() // on error keep the users we have
		}
	}
	hash, ok := h.users[user]
	if !ok {
		h.mu.Unlock()
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(pass)) // same time as a wrong password
		return false
	}
	key := sha256.Sum256([]byte(user + "\x00" + pass + "\x00" + string(hash)))
	if exp, ok := h.verified[key]; ok && time.Now().Before(exp) {
		h.mu.Unlock()
		return true
	}
	h.mu.Unlock()
	if bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
		return false
	}
	h.mu.Lock()
	if len(h.verified) >= maxVerified {
		clear(h.verified)
	}
	h.verified[key] = time.Now().Add(verifiedTTL)
	h.mu.Unlock()
	return true
}

// dummyHash is compared against for unknown users, so they take as long as
// known ones.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("berth-registry"), bcrypt.DefaultCost)
	return h
})
