package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/api"
)

// writeJSON answers v as dockerd does: Content-Type application/json, HTML
// characters not escaped, a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readJSON decodes the request body into out. An empty body leaves out
// untouched; a non-JSON Content-Type, malformed JSON or trailing content is
// ErrInvalidArgument with dockerd's messages.
func readJSON(r *http.Request, out any) error {
	if err := checkJSON(r); err != nil {
		return err
	}
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return invalidf("invalid JSON: got EOF while reading request body")
		}
		return invalidf("invalid JSON: %v", err)
	}
	if dec.More() {
		return invalidf("unexpected content after JSON")
	}
	return nil
}

// checkJSON accepts a missing Content-Type only with an empty body.
func checkJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.Body == nil || r.ContentLength == 0) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return invalidf("malformed Content-Type header (%s): %v", ct, err)
	}
	if mt != "application/json" {
		return invalidf("unsupported Content-Type header (%s): must be 'application/json'", ct)
	}
	return nil
}

// boolValue reads a boolean query parameter the way dockerd does: "", "0",
// "no", "false" and "none" are false, anything else true.
func boolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// boolValueOr is boolValue with a default for a missing parameter.
func boolValueOr(r *http.Request, k string, def bool) bool {
	if !r.URL.Query().Has(k) {
		return def
	}
	return boolValue(r, k)
}

// uint32Value parses a required unsigned query parameter.
func uint32Value(r *http.Request, k string) (uint32, error) {
	v := r.URL.Query().Get(k)
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || v == "" || v[0] == '+' {
		return 0, invalidf("invalid resize %s %q", resizeName(k), v)
	}
	return uint32(n), nil
}

func resizeName(k string) string {
	if k == "h" {
		return "height"
	}
	return "width"
}

// queryFilters decodes the filters query parameter and checks its keys.
func queryFilters(r *http.Request, allowed ...string) (api.Filters, error) {
	f, err := api.ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		return nil, err
	}
	if len(allowed) > 0 {
		if err := f.Validate(allowed...); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// legacyJSON marshals base with extra top-level (or nested, for map values)
// fields added where base has none or null, the way dockerd's compat.Wrap
// builds responses for older API versions (keys then come out sorted).
type legacyJSON struct {
	base  any
	extra map[string]any
}

// MarshalJSON implements json.Marshaler.
func (l legacyJSON) MarshalJSON() ([]byte, error) {
	b, err := marshalNoEscape(l.base)
	if err != nil || len(l.extra) == 0 {
		return b, err
	}
	var merged map[string]any
	if err := json.Unmarshal(b, &merged); err != nil {
		return nil, err
	}
	mergeFields(l.extra, merged)
	return marshalNoEscape(merged)
}

func mergeFields(src, dst map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeFields(sm, dm)
				continue
			}
		}
		if cur, ok := dst[k]; !ok || cur == nil {
			dst[k] = v
		}
	}
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// nonNil returns s, or an empty slice when s is nil, for fields dockerd
// sends as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// parseUnixTimestamp parses "seconds[.nanoseconds]" as clients send since
// and until; "" is the zero time.
func parseUnixTimestamp(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	s, n, _ := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timestamp %q", v)
	}
	if len(n) > 20 || strings.Trim(n, "0123456789") != "" {
		return time.Time{}, fmt.Errorf("invalid timestamp %q", v)
	}
	n = (n + "000000000")[:9]
	nsec, _ := strconv.ParseInt(n, 10, 64)
	return time.Unix(sec, nsec).UTC(), nil
}
