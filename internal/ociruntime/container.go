package ociruntime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// On-disk state, one directory per container under --root:
//
//	<root>/                    0711
//	└── <id>/                  0711
//	    ├── state.json         Container, replaced atomically (temp file + rename)
//	    └── exec.fifo          0622, exists from create until start (created <=> fifo exists)
//
// The status is never trusted from the file alone: it is recomputed from the
// init pid, its start time (pid reuse), the fifo and the freezer.

// Status values, as in the runtime spec (plus runc's "paused").
const (
	StatusCreating = "creating"
	StatusCreated  = "created"
	StatusRunning  = "running"
	StatusStopped  = "stopped"
	StatusPaused   = "paused"
)

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
)

// Container is the persisted state of one container.
type Container struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Pid         int               `json:"pid"`
	PidStart    uint64            `json:"pidStartTime"`
	Created     time.Time         `json:"created"`
	Status      string            `json:"status"`
	CgroupPaths map[string]string `json:"cgroupPaths,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Spec        *specs.Spec       `json:"spec"`

	dir     string
	dirMade bool // by this process: remove it if create fails
}

var validID = regexp.MustCompile(`^[\w+\-.]+$`)

func containerDir(root, id string) (string, error) {
	if !validID.MatchString(id) || id == "." || id == ".." {
		return "", fmt.Errorf("container id %q: %w: want letters, digits, _ + - .", id, errdefs.ErrInvalidArgument)
	}
	return filepath.Join(root, id), nil
}

// loadContainer reads the state of container id.
func loadContainer(root, id string) (*Container, error) {
	dir, err := containerDir(root, id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("container %q: read state: %w", id, err)
	}
	c := &Container{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("container %q: decode state: %w", id, err)
	}
	c.dir = dir
	return c, nil
}

// save writes the state atomically.
func (c *Container) save() error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("container %q: encode state: %w", c.ID, err)
	}
	return atomicWrite(filepath.Join(c.dir, stateFile), b, 0o600)
}

// atomicWrite writes b to a temp file beside path and renames it over path.
func atomicWrite(path string, b []byte, mode os.FileMode) error {
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (c *Container) fifoPath() string { return filepath.Join(c.dir, fifoName) }

// alive reports whether the init process still runs (not a zombie, and the
// pid was not reused by another process).
func (c *Container) alive() bool {
	if c.Pid <= 0 {
		return false
	}
	st, state, err := procStat(c.Pid)
	if err != nil || st != c.PidStart {
		return false
	}
	return state != 'Z' && state != 'X'
}

// currentStatus recomputes the status from the process, the fifo and the freezer.
func (c *Container) currentStatus() string {
	if !c.alive() {
		return StatusStopped
	}
	if _, err := os.Lstat(c.fifoPath()); err == nil {
		return StatusCreated
	}
	if len(c.CgroupPaths) > 0 {
		if m, err := cgroups.Load(c.CgroupPaths); err == nil && m.Frozen() {
			return StatusPaused
		}
	}
	return StatusRunning
}

// procStat returns the start time (field 22, clock ticks since boot) and the
// state letter of pid from /proc/<pid>/stat.
func procStat(pid int) (uint64, byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// comm may hold spaces and parentheses: fields start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return start, f[0][0], nil
}

// signal sends sig to the init process after checking it is still ours.
func (c *Container) signal(sig unix.Signal) error {
	if !c.alive() {
		return fmt.Errorf("container %q: %w: not running", c.ID, errdefs.ErrConflict)
	}
	if err := unix.Kill(c.Pid, sig); err != nil {
		return fmt.Errorf("container %q: signal %d to pid %d: %w", c.ID, sig, c.Pid, err)
	}
	return nil
}
