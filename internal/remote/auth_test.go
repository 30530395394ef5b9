package remote

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		header string
		want   []challenge
	}{
		{`Basic realm="Registry Realm"`, []challenge{{"basic", map[string]string{"realm": "Registry Realm"}}}},
		{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`,
			[]challenge{{"bearer", map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull"}}}},
		{`Bearer realm="a\"b", error=insufficient_scope, Basic realm=x`, []challenge{
			{"bearer", map[string]string{"realm": `a"b`, "error": "insufficient_scope"}},
			{"basic", map[string]string{"realm": "x"}}}},
		{``, nil},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("WWW-Authenticate", tt.header)
		}
		if got := parseChallenges(h); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.header, got, tt.want)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	f := newFakeRegistry(t)
	f.users = map[string]string{"alice": "wonderland"}
	tests := []struct {
		name  string
		creds Credentials
		want  string // error substring, "" for success
	}{
		{"anonymous", Credentials{}, "no basic auth credentials"},
		{"wrong password", Credentials{Username: "alice", Password: "nope"}, "unauthorized: authentication required"},
		{"right password", Credentials{Username: "alice", Password: "wonderland"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.open(t, "test/app", tt.creds, true)
			_, err := r.PutManifest(t.Context(), "v1", ocispec.MediaTypeImageManifest, []byte(`{}`))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errdefs.IsUnauthorized(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an unauthorized error with %q", err, tt.want)
			}
		})
	}
}

func TestTokenAuth(t *testing.T) {
	f := newFakeRegistry(t)
	f.users = map[string]string{"alice": "wonderland"}
	f.tokenAuth = true
	r := f.open(t, "test/app", Credentials{Username: "alice", Password: "wonderland"}, true)
	ctx := t.Context()
	for _, tag := range []string{"a", "b", "c"} {
		if _, err := r.PutManifest(ctx, tag, ocispec.MediaTypeImageManifest, []byte(`{"t":"`+tag+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Mount(ctx, f.putBlob("lib/base", []byte("x")), "lib/base"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	tokens, scopes := f.tokens, strings.Join(f.scopes, " ")
	f.mu.Unlock()
	if tokens != 2 || scopes != "repository:test/app:pull,push repository:test/app:pull,push repository:lib/base:pull" {
		t.Fatalf("%d tokens for scopes %q; want one for the repository, one for the mount", tokens, scopes)
	}

	bad := f.open(t, "test/app", Credentials{Username: "alice", Password: "nope"}, false)
	if _, _, err := bad.Manifest(ctx, "a"); !errdefs.IsUnauthorized(err) || !strings.Contains(err.Error(), "incorrect username or password") {
		t.Fatalf("wrong password: %v", err)
	}
	refresh := f.open(t, "test/app", Credentials{IdentityToken: "refresh-alice"}, false)
	if _, _, err := refresh.Manifest(ctx, "a"); err != nil {
		t.Fatalf("identity token: %v", err)
	}
}

func TestLogin(t *testing.T) {
	for _, token := range []bool{false, true} {
		f := newFakeRegistry(t)
		f.users = map[string]string{"alice": "wonderland"}
		f.tokenAuth = token
		c := f.client(t)
		ctx := t.Context()
		id, err := c.Login(ctx, "http://"+f.host(), Credentials{Username: "alice", Password: "wonderland"})
		if err != nil {
			t.Fatalf("token=%v: %v", token, err)
		}
		if token && id != "refresh-alice" || !token && id != "" {
			t.Fatalf("token=%v: identity token %q", token, id)
		}
		_, err = c.Login(ctx, f.host(), Credentials{Username: "alice", Password: "bad"})
		if !errdefs.IsUnauthorized(err) {
			t.Fatalf("token=%v: wrong password: %v", token, err)
		}
		if !token && !strings.Contains(err.Error(), "login attempt to https://"+f.host()+"/v2/ failed with status: 401 Unauthorized") &&
			!strings.Contains(err.Error(), "login attempt to http://"+f.host()+"/v2/ failed with status: 401 Unauthorized") {
			t.Fatalf("wrong password message: %v", err)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"": "docker.io", "https://index.docker.io/v1/": "docker.io", "docker.io": "docker.io",
		"localhost:5000": "localhost:5000", "https://127.0.0.1:5000/v2/": "127.0.0.1:5000",
	} {
		if got := RegistryHost(in); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", in, got, want)
		}
	}
}
