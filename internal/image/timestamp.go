package image

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// parseTimestamp reads an "until" filter value the way dockerd does: a Go
// duration (that long before now), an RFC 3339 date or time (local time
// when it has no zone), or Unix seconds with optional fraction.
func parseTimestamp(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); value != "0" && err == nil {
		return now.Add(-d), nil
	}
	local := !strings.ContainsAny(value, "zZ+") && strings.Count(value, "-") != 3
	format := timeFormat(value, local)
	var (
		t   time.Time
		err error
	)
	if local {
		t, err = time.ParseInLocation(format, value, time.FixedZone(now.Zone()))
	} else {
		t, err = time.Parse(format, value)
	}
	if err == nil {
		return t, nil
	}
	if !strings.Contains(value, "-") {
		if t, ok := parseUnix(value); ok {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", value, errdefs.ErrInvalidArgument)
}

func timeFormat(value string, local bool) string {
	switch {
	case strings.Contains(value, "."):
		if local {
			return "2006-01-02T15:04:05.999999999"
		}
		return time.RFC3339Nano
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		if !local && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons-- // the zone offset's colon
		}
		formats := [][2]string{{"2006-01-02T15", "2006-01-02T15Z07:00"}, {"2006-01-02T15:04", "2006-01-02T15:04Z07:00"}, {"2006-01-02T15:04:05", time.RFC3339}}
		f := formats[min(colons, 2)]
		if local {
			return f[0]
		}
		return f[1]
	case local:
		return "2006-01-02"
	}
	return "2006-01-02Z07:00"
}

func parseUnix(value string) (time.Time, bool) {
	s, frac, hasFrac := strings.Cut(value, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		frac = (frac + "000000000")[:9]
		if nsec, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, false
		}
	}
	return time.Unix(sec, nsec), true
}
