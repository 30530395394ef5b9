// Command seccompprofile prints Docker's default seccomp profile as
// internal/oci resolves it for the default capabilities (a linux.seccomp
// object), for bench/runtime.sh SECCOMP=docker.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/berthproject/berth/internal/oci"
)

func main() {
	p, err := oci.DefaultSeccomp(oci.DefaultCapabilities())
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seccompprofile:", err)
		os.Exit(1)
	}
}
