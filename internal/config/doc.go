// Package config is berthd's configuration: the Config struct, its defaults,
// the daemon.json-style config file, and validation. It is pure: nothing here
// touches the system beyond reading the config file.
//
// It imports only errdefs.
package config
