// Package backend holds the request and option types shared by the API
// server and the engine: internal/server declares the backend interfaces
// (consumer side) in terms of them and internal/engine implements those
// interfaces, without either importing the other (moby keeps the same split
// in api/types/backend).
//
// It is a leaf: it imports only api and the moby wire types.
package backend
