package api

import (
	"strconv"
	"strings"
)

const (
	// MinVersion is the oldest API version berthd serves.
	MinVersion = "1.24"
	// MaxVersion is the newest API version berthd serves: the one the vendored
	// moby api module defines (its swagger.yaml).
	MaxVersion = "1.56"
)

// CompareVersions compares two "major.minor" API versions and returns -1, 0 or 1.
// Missing or malformed parts compare as zero.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// VersionLess reports whether API version a is older than b.
func VersionLess(a, b string) bool { return CompareVersions(a, b) < 0 }
