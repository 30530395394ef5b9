package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// Filters is the `filters` query parameter of list endpoints: field name to
// the set of accepted values, as dockerd encodes it ({"label":{"a=b":true}}).
type Filters map[string]map[string]bool

// NewFilters builds Filters from "key=value" pairs (the CLI's --filter form).
func NewFilters(pairs ...string) (Filters, error) {
	f := Filters{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value): %w", errdefs.ErrInvalidArgument)
		}
		f.Add(strings.ToLower(strings.TrimSpace(k)), v)
	}
	return f, nil
}

// ParseFilters decodes the filters query value. It accepts dockerd's current
// map form and the legacy list form ({"label":["a=b"]}); "" is no filter.
func ParseFilters(s string) (Filters, error) {
	f := Filters{}
	if s == "" {
		return f, nil
	}
	if err := json.Unmarshal([]byte(s), &f); err == nil {
		return f, nil
	}
	var legacy map[string][]string
	if err := json.Unmarshal([]byte(s), &legacy); err != nil {
		return nil, fmt.Errorf("invalid filter %q: %w", s, errdefs.ErrInvalidArgument)
	}
	for k, vs := range legacy {
		for _, v := range vs {
			f.Add(k, v)
		}
	}
	return f, nil
}

// Encode returns the JSON query value ("" when empty).
func (f Filters) Encode() string {
	if len(f) == 0 {
		return ""
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// Add adds a value for key.
func (f Filters) Add(key, value string) {
	if f[key] == nil {
		f[key] = map[string]bool{}
	}
	f[key][value] = true
}

// Has reports whether key has any value.
func (f Filters) Has(key string) bool { return len(f[key]) > 0 }

// Values returns the values of key.
func (f Filters) Values(key string) []string {
	vs := make([]string, 0, len(f[key]))
	for v := range f[key] {
		vs = append(vs, v)
	}
	return vs
}

// Validate fails with ErrInvalidArgument when a key is not in allowed, with
// dockerd's message.
func (f Filters) Validate(allowed ...string) error {
	for k := range f {
		found := false
		for _, a := range allowed {
			found = found || a == k
		}
		if !found {
			return fmt.Errorf("invalid filter '%s': %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// Match reports whether value satisfies key: true when key has no values, or
// when one of them equals value.
func (f Filters) Match(key, value string) bool {
	if !f.Has(key) {
		return true
	}
	return f[key][value]
}

// MatchLabels reports whether labels satisfy every "label" filter: "k" needs
// the key, "k=v" needs the key with that value. key is "label" or "label!".
func (f Filters) MatchLabels(key string, labels map[string]string) bool {
	negate := strings.HasSuffix(key, "!")
	for want := range f[key] {
		k, v, hasV := strings.Cut(want, "=")
		got, ok := labels[k]
		match := ok && (!hasV || got == v)
		if match == negate {
			return false
		}
	}
	return true
}
