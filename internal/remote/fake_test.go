package remote

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// fakeRegistry is a small in-memory registry for the client's tests:
// blobs, manifests, uploads and mounts, optional basic or token auth, and
// a hook for injecting faults.
type fakeRegistry struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	blobs     map[string]map[digest.Digest][]byte // repo -> blobs
	manifests map[string][]byte                   // repo:ref -> manifest
	types     map[string]string                   // repo:ref -> media type
	uploads   map[string]*bytes.Buffer
	log       []string // "METHOD path" of every request
	scopes    []string // scopes asked of the token server
	tokens    int      // tokens issued

	users     map[string]string // basic auth users; nil: anonymous
	tokenAuth bool              // bearer tokens from /token instead of basic
	hook      func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{t: t, blobs: map[string]map[digest.Digest][]byte{}, manifests: map[string][]byte{},
		types: map[string]string{}, uploads: map[string]*bytes.Buffer{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) host() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// client returns a Client for which the fake is an insecure registry.
func (f *fakeRegistry) client(t *testing.T) *Client {
	c, err := New(Options{Insecure: []string{"127.0.0.0/8"}, UserAgent: "berth-test", Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// open opens repo (e.g. "test/app") on the fake's plain HTTP endpoint.
func (f *fakeRegistry) open(t *testing.T, repo string, creds Credentials, push bool) *Repository {
	t.Helper()
	c := f.client(t)
	eps, err := c.Endpoints(t.Context(), f.host(), !push)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := reference.ParseNormalizedNamed(f.host() + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Open(t.Context(), eps[len(eps)-1], ref, creds, push)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fakeRegistry) putBlob(repo string, b []byte) digest.Digest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blobs[repo] == nil {
		f.blobs[repo] = map[digest.Digest][]byte{}
	}
	d := digest.FromBytes(b)
	f.blobs[repo][d] = b
	return d
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.Path)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	if !f.authorized(w, r) {
		return
	}
	if r.URL.Path == "/v2/" {
		return
	}
	f.api(w, r)
}

// authorized checks basic credentials or a bearer token.
func (f *fakeRegistry) authorized(w http.ResponseWriter, r *http.Request) bool {
	if f.users == nil {
		return true
	}
	if f.tokenAuth {
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			return true
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="fake"`, f.srv.URL))
	} else {
		if u, p, ok := r.BasicAuth(); ok && f.users[u] == p {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
	}
	writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
	return false
}

func (f *fakeRegistry) serveToken(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	if r.Method == http.MethodPost {
		r.ParseForm()
		ok, u, p = r.PostForm.Get("refresh_token") == "refresh-alice", "alice", f.users["alice"]
	}
	if !ok || f.users[u] != p {
		writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED", "incorrect username or password")
		return
	}
	f.mu.Lock()
	f.tokens++
	f.scopes = append(f.scopes, r.URL.Query()["scope"]...)
	n := f.tokens
	f.mu.Unlock()
	resp := map[string]any{"token": "tok-" + strconv.Itoa(n), "expires_in": 300}
	if r.URL.Query().Get("offline_token") == "true" {
		resp["refresh_token"] = "refresh-" + u
	}
	json.NewEncoder(w).Encode(resp)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

// api serves /v2/<repo>/{blobs,manifests,tags}/...
func (f *fakeRegistry) api(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	for _, kind := range []string{"/blobs/uploads/", "/blobs/", "/manifests/", "/tags/list"} {
		if i := strings.LastIndex(p, kind); i >= 0 {
			repo, rest := p[:i], p[i+len(kind):]
			f.mu.Lock()
			defer f.mu.Unlock()
			switch kind {
			case "/blobs/uploads/":
				f.serveUpload(w, r, repo, rest)
			case "/blobs/":
				f.serveBlob(w, r, repo, digest.Digest(rest))
			case "/manifests/":
				f.serveManifest(w, r, repo, rest)
			default:
				f.serveTags(w, r, repo)
			}
			return
		}
	}
	writeErr(w, http.StatusNotFound, "NAME_UNKNOWN", "unknown")
}

func (f *fakeRegistry) serveBlob(w http.ResponseWriter, r *http.Request, repo string, d digest.Digest) {
	b, ok := f.blobs[repo][d]
	if !ok {
		writeErr(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry")
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func (f *fakeRegistry) serveUpload(w http.ResponseWriter, r *http.Request, repo, id string) {
	switch {
	case r.Method == http.MethodPost && r.URL.Query().Get("mount") != "":
		d := digest.Digest(r.URL.Query().Get("mount"))
		if b, ok := f.blobs[r.URL.Query().Get("from")][d]; ok {
			if f.blobs[repo] == nil {
				f.blobs[repo] = map[digest.Digest][]byte{}
			}
			f.blobs[repo][d] = b
			w.WriteHeader(http.StatusCreated)
			return
		}
		fallthrough
	case r.Method == http.MethodPost:
		id := strconv.Itoa(len(f.uploads) + 1)
		f.uploads[id] = &bytes.Buffer{}
		w.Header().Set("Location", "/v2/"+repo+"/blobs/uploads/"+id+"?_state=x")
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPatch:
		io.Copy(f.uploads[id], r.Body)
		w.Header().Set("Location", "/v2/"+repo+"/blobs/uploads/"+id+"?_state=y")
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPut:
		b := f.uploads[id].Bytes()
		if d := digest.FromBytes(b); d.String() != r.URL.Query().Get("digest") || r.URL.Query().Get("_state") != "y" {
			writeErr(w, http.StatusBadRequest, "DIGEST_INVALID", "digest did not match")
			return
		}
		if f.blobs[repo] == nil {
			f.blobs[repo] = map[digest.Digest][]byte{}
		}
		f.blobs[repo][digest.FromBytes(b)] = b
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodDelete:
		delete(f.uploads, id)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeRegistry) serveManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	if r.Method == http.MethodPut {
		b, _ := io.ReadAll(r.Body)
		d := digest.FromBytes(b)
		for _, k := range []string{repo + ":" + ref, repo + ":" + d.String()} {
			f.manifests[k], f.types[k] = b, r.Header.Get("Content-Type")
		}
		w.Header().Set("Docker-Content-Digest", d.String())
		w.WriteHeader(http.StatusCreated)
		return
	}
	b, ok := f.manifests[repo+":"+ref]
	if !ok {
		writeErr(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
		return
	}
	w.Header().Set("Content-Type", f.types[repo+":"+ref])
	w.Header().Set("Docker-Content-Digest", digest.FromBytes(b).String())
	w.Write(b)
}

// serveTags pages two tags at a time.
func (f *fakeRegistry) serveTags(w http.ResponseWriter, r *http.Request, repo string) {
	var tags []string
	for k := range f.manifests {
		if name, tag, _ := strings.Cut(k, ":"); name == repo && !strings.HasPrefix(tag, "sha256") {
			tags = append(tags, tag)
		}
	}
	sortStrings(tags)
	last := r.URL.Query().Get("last")
	var page []string
	for _, t := range tags {
		if t > last && len(page) < 2 {
			page = append(page, t)
		}
	}
	if len(page) == 2 && page[1] != tags[len(tags)-1] {
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?n=2&last=%s>; rel="next"`, repo, url.QueryEscape(page[1])))
	}
	json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": page})
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func basic(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
