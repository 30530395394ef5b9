package registry

import (
	"os/exec"
	"testing"
)

// TestFuzzParsers fuzzes the parsers that read untrusted input (manifest
// bodies, Range and Content-Range headers) for a bounded time each, so CI
// explores beyond the seed corpus that plain `go test` replays. A crasher
// is saved under testdata/fuzz by the go tool and fails this test.
func TestFuzzParsers(t *testing.T) {
	if testing.Short() {
		t.Skip("bounded fuzzing takes a while")
	}
	targets := []struct{ dir, fuzz string }{
		{"./api", "FuzzParseRange"},
		{"./api", "FuzzParseContentRange"},
		{"./storage", "FuzzParseManifest"},
	}
	for _, tc := range targets {
		t.Run(tc.fuzz, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), "go", "test", "-run=^$", "-fuzz=^"+tc.fuzz+"$", "-fuzztime=6s", "-parallel=2", tc.dir)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.fuzz, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
