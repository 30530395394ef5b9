// Package api is the wire vocabulary of berth-registry's HTTP interface
// (OCI distribution-spec v1.1): the route table (ParseRoute maps a path to
// an endpoint, names parsed from the end since they contain slashes), name,
// tag and digest validation, the Range and Content-Range parsers, media
// types and headers, and the ONE error table (errcode.go: code, message,
// HTTP status and errdefs kind, like distribution's registry/api/errcode).
//
// Errors: storage and handlers wrap the *Code values (they are errors, and
// unwrap to errdefs kinds); Lookup/WriteError is the only place an error
// becomes a status and an {"errors":[{code,message,detail}]} body.
//
// Place in the run flow: internal/registry's handler parses every request
// with ParseRoute, and every failure goes out through WriteError. Storage
// uses the codes and the validators.
//
// Imports: errdefs, distribution/reference (name and tag grammar) and
// go-digest. It is a leaf of the registry: no other berth package.
package api
