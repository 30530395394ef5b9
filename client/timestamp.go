package client

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layouts accepted for absolute times, with and without a zone. A value
// without a zone is read in the local time zone.
var (
	zonedLayouts = []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15Z07:00", "2006-01-02Z07:00"}
	localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02"}
)

func getTimestamp(value string, now time.Time) (string, error) {
	if d, err := time.ParseDuration(value); err == nil && value != "0" {
		return strconv.FormatInt(now.Add(-d).Unix(), 10), nil
	}
	zoned := strings.ContainsAny(value, "zZ+") || strings.Count(value, "-") == 3
	layouts := localLayouts
	if zoned {
		layouts = zonedLayouts
	}
	for _, l := range layouts {
		var t time.Time
		var err error
		if zoned {
			t, err = time.Parse(l, value)
		} else {
			t, err = time.ParseInLocation(l, value, now.Location())
		}
		if err == nil {
			return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()), nil
		}
	}
	if !strings.Contains(value, "-") && isUnixTimestamp(value) {
		return value, nil
	}
	return "", fmt.Errorf("failed to parse value as time or duration: %q", value)
}

// isUnixTimestamp accepts "seconds" and "seconds.fraction".
func isUnixTimestamp(v string) bool {
	sec, frac, hasFrac := strings.Cut(v, ".")
	if _, err := strconv.ParseInt(sec, 10, 64); err != nil {
		return false
	}
	if hasFrac {
		if _, err := strconv.ParseUint(frac, 10, 64); err != nil {
			return false
		}
	}
	return true
}
