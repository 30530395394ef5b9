package registry

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/berthproject/berth/internal/registry/api"
)

// access is one permission a request needs: an action ("pull", "push",
// "delete", "*") on a resource ("repository" name, or "registry" catalog).
type access struct {
	Type, Name, Action string
}

// scope is the access in the Docker token scope syntax.
func (a access) scope() string { return a.Type + ":" + a.Name + ":" + a.Action }

// authorizer authenticates a request and checks it may do what it asks. It
// returns the user name, or an error wrapping api.ErrUnauthorized (a
// *challengeError, to tell the client how to authenticate).
type authorizer interface {
	authorize(req *http.Request, need []access) (user string, err error)
}

// challengeError is a refusal carrying the WWW-Authenticate challenge.
type challengeError struct {
	header string
	err    error
}

func (e *challengeError) Error() string { return e.err.Error() }
func (e *challengeError) Unwrap() error { return e.err }

func (r *Registry) setupAuth() error {
	switch {
	case r.cfg.Auth.Htpasswd != nil:
		h, err := loadHtpasswd(r.cfg.Auth.Htpasswd.Path)
		if err != nil {
			return err
		}
		realm := r.cfg.Auth.Htpasswd.Realm
		if realm == "" {
			realm = "berth-registry"
		}
		r.auth = &basicAuth{realm: realm, users: h}
	case r.cfg.Auth.Token != nil:
		t, issuer, err := newTokenAuth(*r.cfg.Auth.Token)
		if err != nil {
			return err
		}
		r.auth, r.issuer = t, issuer
	}
	return nil
}

// basicAuth is htpasswd basic authentication: any listed user may do
// anything.
type basicAuth struct {
	realm string
	users *htpasswd
}

func (b *basicAuth) authorize(req *http.Request, _ []access) (string, error) {
	user, pass, ok := req.BasicAuth()
	if ok && b.users.verify(user, pass) {
		return user, nil
	}
	msg := "no credentials"
	if ok {
		msg = "invalid username or password"
	}
	return "", &challengeError{
		header: fmt.Sprintf("Basic realm=%q", b.realm),
		err:    fmt.Errorf("%s: %w", msg, api.ErrUnauthorized),
	}
}

// parseScope parses a token scope "type:name:action,action" (the name may
// contain colons, e.g. a host:port prefix).
func parseScope(s string) (typ, name string, actions []string, ok bool) {
	first := strings.IndexByte(s, ':')
	last := strings.LastIndexByte(s, ':')
	if first <= 0 || last == first {
		return "", "", nil, false
	}
	return s[:first], s[first+1 : last], strings.Split(s[last+1:], ","), true
}
