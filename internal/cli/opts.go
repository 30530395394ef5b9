package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
)

// listOpt is a repeatable string flag with an optional validator that may
// also normalise each value (docker's opts.ListOpts).
type listOpt struct {
	values   []string
	validate func(string) (string, error)
}

func (l *listOpt) String() string { return "[" + strings.Join(l.values, " ") + "]" }
func (l *listOpt) Type() string   { return "list" }

// Set validates and appends one value.
func (l *listOpt) Set(v string) error {
	if l.validate != nil {
		nv, err := l.validate(v)
		if err != nil {
			return err
		}
		v = nv
	}
	l.values = append(l.values, v)
	return nil
}

// filterOpt is a repeatable --filter key=value flag.
type filterOpt struct{ values map[string][]string }

func (f *filterOpt) String() string { return "" }
func (f *filterOpt) Type() string   { return "filter" }

// Set parses one "key=value" filter.
func (f *filterOpt) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("bad format of filter (expected name=value)")
	}
	if f.values == nil {
		f.values = map[string][]string{}
	}
	k = strings.ToLower(strings.TrimSpace(k))
	f.values[k] = append(f.values[k], strings.TrimSpace(val))
	return nil
}

// memBytes is a size flag such as --memory 512m.
type memBytes int64

func (m *memBytes) String() string {
	if *m == 0 {
		return ""
	}
	return units.BytesSize(float64(*m))
}
func (m *memBytes) Type() string { return "bytes" }

// Set parses a size with an optional unit suffix.
func (m *memBytes) Set(v string) error {
	n, err := units.RAMInBytes(v)
	*m = memBytes(n)
	return err
}

// memSwapBytes is --memory-swap: a size, or -1 for unlimited.
type memSwapBytes int64

func (m *memSwapBytes) String() string { return (*memBytes)(m).String() }
func (m *memSwapBytes) Type() string   { return "bytes" }

// Set parses a size or "-1".
func (m *memSwapBytes) Set(v string) error {
	if v == "-1" {
		*m = -1
		return nil
	}
	return (*memBytes)(m).Set(v)
}

// nanoCPUs is --cpus: a decimal number of CPUs, stored in 1e-9 CPUs.
type nanoCPUs int64

func (n *nanoCPUs) String() string {
	if *n == 0 {
		return ""
	}
	return big.NewRat(int64(*n), 1e9).FloatString(3)
}
func (n *nanoCPUs) Type() string { return "decimal" }

// Set parses a decimal such as 1.5.
func (n *nanoCPUs) Set(v string) error {
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return fmt.Errorf("failed to parse %v as a rational number", v)
	}
	nano := r.Mul(r, big.NewRat(1e9, 1))
	if !nano.IsInt() {
		return fmt.Errorf("value is too precise")
	}
	*n = nanoCPUs(nano.Num().Int64())
	return nil
}

// ulimitOpt is the repeatable --ulimit name=soft[:hard] flag.
type ulimitOpt struct{ values []*container.Ulimit }

func (u *ulimitOpt) String() string {
	s := make([]string, len(u.values))
	for i, l := range u.values {
		s[i] = l.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}
func (u *ulimitOpt) Type() string { return "ulimit" }

// Set parses one ulimit; a later value for the same name replaces it.
func (u *ulimitOpt) Set(v string) error {
	l, err := units.ParseUlimit(v)
	if err != nil {
		return err
	}
	for i, old := range u.values {
		if old.Name == l.Name {
			u.values[i] = l
			return nil
		}
	}
	u.values = append(u.values, l)
	return nil
}

// validateEnv accepts KEY=value, and KEY alone (taken from the CLI's
// environment when set there).
func validateEnv(v string) (string, error) {
	k, _, has := strings.Cut(v, "=")
	if k == "" {
		return "", errors.New("invalid environment variable: " + v)
	}
	if has {
		return v, nil
	}
	if ev, ok := os.LookupEnv(k); ok {
		return k + "=" + ev, nil
	}
	return v, nil
}

// validateLabel accepts key[=value] with a non-empty key without spaces.
func validateLabel(v string) (string, error) {
	k, _, _ := strings.Cut(v, "=")
	k = strings.TrimSpace(k)
	if k == "" {
		return "", fmt.Errorf("invalid label '%s': empty name", v)
	}
	if strings.ContainsAny(k, " \t\n") {
		return "", fmt.Errorf("label '%s' contains whitespaces", k)
	}
	return v, nil
}

// validateAttach accepts stdin, stdout and stderr in any case.
func validateAttach(v string) (string, error) {
	s := strings.ToLower(v)
	switch s {
	case "stdin", "stdout", "stderr":
		return s, nil
	}
	return v, errors.New("valid streams are STDIN, STDOUT and STDERR")
}

// readKVFiles reads env or label files (KEY=value lines, # comments; with
// lookup, a bare KEY takes the CLI's value) and appends the overrides.
func readKVFiles(files, overrides []string, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		lines, err := parseKVFile(data, lookup)
		if err != nil {
			return nil, fmt.Errorf("invalid env file (%s): %v", f, err)
		}
		out = append(out, lines...)
	}
	return append(out, overrides...), nil
}

func parseKVFile(data []byte, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})))
	for n := 1; sc.Scan(); n++ {
		if !utf8.Valid(sc.Bytes()) {
			return nil, fmt.Errorf("invalid utf8 bytes at line %d: %v", n, sc.Bytes())
		}
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || line[0] == '#' {
			continue
		}
		key, _, has := strings.Cut(line, "=")
		switch {
		case key == "":
			return nil, fmt.Errorf("no variable name on line '%s'", line)
		case strings.ContainsAny(key, " \t"):
			return nil, fmt.Errorf("variable '%s' contains whitespaces", key)
		case has:
			out = append(out, line)
		case lookup != nil:
			if v, ok := lookup(line); ok {
				out = append(out, key+"="+v)
			}
		}
	}
	return out, sc.Err()
}

// kvMap turns KEY=value strings into a map (a bare KEY maps to "").
func kvMap(values []string) map[string]string {
	m := make(map[string]string, len(values))
	for _, v := range values {
		k, val, _ := strings.Cut(v, "=")
		m[k] = val
	}
	return m
}

// parseInt parses a decimal int.
func parseInt(s string) (int, error) { return strconv.Atoi(s) }

// parseDNS parses --dns addresses.
func parseDNS(vals []string) ([]netip.Addr, error) {
	out := []netip.Addr{}
	for _, v := range vals {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%s is not an ip address", v)
		}
		out = append(out, a)
	}
	return out, nil
}
