// Command berth is Berth's command line, a drop-in for the docker CLI.
package main

import (
	"os"

	"github.com/berthproject/berth/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
