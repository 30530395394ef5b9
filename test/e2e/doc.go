// Package e2e is Berth's black-box suite: TestMain builds berthd, berth and
// berth-runtime once; each test starts a private berthd (temp data root, exec
// root and socket) and drives it with the real docker CLI
// (/usr/local/bin/docker) and the Go SDK (github.com/moby/moby/client).
//
// The suite needs root and real kernel features, so it runs only with
// BERTH_TEST_PRIVILEGED=1 (CI sets it) and is skipped under -short.
package e2e
