// Package ociruntime is Berth's OCI runtime: what `berth-runtime create/start/...` runs.
package ociruntime
