package cli

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkCommandTree measures building the command tree and parsing a
// command line, the CLI's own start-up work before any request.
func BenchmarkCommandTree(b *testing.B) {
	for b.Loop() {
		c := &CLI{in: newIn(strings.NewReader("")), out: newOut(io.Discard), errOut: io.Discard}
		root := c.newRootCommand()
		root.SetArgs([]string{"run", "--help"})
		root.SetOut(io.Discard)
		_ = root.Execute()
	}
}
