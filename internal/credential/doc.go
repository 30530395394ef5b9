// Package credential keeps registry credentials the way the docker CLI
// does, so `docker login` and `berth login` share them: in the client
// configuration file (~/.docker/config.json, or $DOCKER_CONFIG) as
// base64 "user:password" entries under "auths", or in a credential helper
// program (docker-credential-<name>, named by "credsStore" for every
// registry or "credHelpers" per registry) speaking the helpers' get,
// store and erase protocol. Every other field of the file is kept as it
// is when the file is rewritten.
//
// Place in the run flow: `berth login` checks credentials with the daemon
// (POST /auth) and stores them here; `berth pull`, `push` and `run` read
// the entry of the image's registry and send it as X-Registry-Auth. The
// daemon never reads this file.
//
// It is written here rather than imported from docker/cli, whose config
// package drags a large module into the CLI binary for two hundred lines
// of behaviour. It imports only the standard library and moby's
// registry.AuthConfig type.
package credential
