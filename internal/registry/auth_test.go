package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeHtpasswd writes an htpasswd file with bcrypt hashes (MinCost keeps
// the test fast) and returns its path.
func writeHtpasswd(t *testing.T, users map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# users\n")
	for u, p := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(u + ":" + string(h) + "\n")
	}
	path := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHtpasswdAuth(t *testing.T) {
	path := writeHtpasswd(t, map[string]string{"alice": "wonderland"})
	tr := newTestRegistry(t, Config{Auth: AuthConfig{Htpasswd: &HtpasswdConfig{Path: path, Realm: "test"}}})
	r := tr.do("GET", "/v2/", nil)
	tr.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if r.header.Get("WWW-Authenticate") != `Basic realm="test"` {
		t.Fatalf("challenge: %s", r)
	}
	tr.auth = func(req *http.Request) { req.SetBasicAuth("alice", "wrong") }
	tr.expect(tr.do("GET", "/v2/", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	tr.auth = func(req *http.Request) { req.SetBasicAuth("mallory", "wonderland") }
	tr.expect(tr.do("GET", "/v2/", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	tr.auth = func(req *http.Request) { req.SetBasicAuth("alice", "wonderland") }
	tr.expect(tr.do("GET", "/v2/", nil), http.StatusOK, "")
	tr.pushImage("private/app", "v1", []byte("layer"))

	// the file is re-read when it changes
	newPath := writeHtpasswd(t, map[string]string{"bob": "builder"})
	b, _ := os.ReadFile(newPath)
	os.WriteFile(path, b, 0o600)
	future := time.Now().Add(time.Minute)
	os.Chtimes(path, future, future)
	tr.reg.auth.(*basicAuth).users.checked = time.Time{}
	tr.expect(tr.do("GET", "/v2/", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	tr.auth = func(req *http.Request) { req.SetBasicAuth("bob", "builder") }
	tr.expect(tr.do("GET", "/v2/", nil), http.StatusOK, "")
}

func TestHtpasswdRejectsWeakHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(path, []byte("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"), 0o600)
	if _, err := New(t.Context(), Config{Storage: StorageConfig{Driver: "inmemory"}, Auth: AuthConfig{Htpasswd: &HtpasswdConfig{Path: path}}}); err == nil {
		t.Fatal("a SHA1 htpasswd entry was accepted")
	}
}

func tokenRegistry(t *testing.T) *testRegistry {
	t.Helper()
	path := writeHtpasswd(t, map[string]string{"alice": "wonderland"})
	return newTestRegistry(t, Config{Auth: AuthConfig{Token: &TokenConfig{
		Service: "berth-test", Issuer: "berth-test-issuer",
		Issue: &IssueConfig{Htpasswd: path},
	}}})
}

// fetchToken runs the client side of the token flow: read the challenge,
// ask the realm for a token with basic auth.
func fetchToken(t *testing.T, tr *testRegistry, challenge, user, pass string) string {
	t.Helper()
	params := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(challenge, -1) {
		params[m[1]] = m[2]
	}
	if params["realm"] != tr.srv.URL+"/auth/token" || params["service"] != "berth-test" {
		t.Fatalf("challenge %q", challenge)
	}
	q := url.Values{"service": {params["service"]}, "scope": {params["scope"]}}
	req, _ := http.NewRequest("GET", params["realm"]+"?"+q.Encode(), nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return ""
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if tok.Token != tok.AccessToken || tok.ExpiresIn != 300 {
		t.Fatalf("token response %+v", tok)
	}
	return tok.Token
}

func TestTokenAuth(t *testing.T) {
	tr := tokenRegistry(t)
	r := tr.do("GET", "/v2/", nil)
	tr.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if tok := fetchToken(t, tr, r.header.Get("WWW-Authenticate"), "alice", "nope"); tok != "" {
		t.Fatal("token issued for a wrong password")
	}
	pushTok := func(repo, action string) string {
		tr.auth = nil
		r := tr.do("POST", "/v2/"+repo+"/blobs/uploads/", nil)
		ch := r.header.Get("WWW-Authenticate")
		if !strings.Contains(ch, `scope="repository:`+repo+`:push"`) {
			t.Fatalf("push challenge %q", ch)
		}
		return fetchToken(t, tr, strings.Replace(ch, ":push", ":"+action, 1), "alice", "wonderland")
	}
	tok := pushTok("team/app", "pull,push")
	tr.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok) }
	tr.pushImage("team/app", "v1", []byte("layer"))
	tr.expect(tr.do("GET", "/v2/team/app/manifests/v1", nil), 200, "")
	// the token is for team/app only, and has no delete
	r = tr.do("GET", "/v2/team/other/tags/list", nil)
	tr.expect(r, http.StatusUnauthorized, "UNAUTHORIZED")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("insufficient scope challenge: %s", r)
	}
	tr.expect(tr.do("DELETE", "/v2/team/app/manifests/v1", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	tr.expect(tr.do("GET", "/v2/_catalog", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	// a pull-only token cannot push
	tok = pushTok("team/app", "pull")
	tr.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok) }
	tr.expect(tr.do("POST", "/v2/team/app/blobs/uploads/", nil), http.StatusUnauthorized, "UNAUTHORIZED")
	tr.expect(tr.do("GET", "/v2/team/app/manifests/v1", nil), 200, "")
}

func TestTokenRejected(t *testing.T) {
	tr := tokenRegistry(t)
	ti := tr.reg.issuer
	good := tokenClaims{Issuer: "berth-test-issuer", Subject: "alice", Audience: audience{"berth-test"},
		Expiry: time.Now().Add(time.Hour).Unix(), Access: []tokenAccess{{Type: "repository", Name: "a", Actions: []string{"*"}}}}
	sign := func(c tokenClaims) string {
		tok, err := ti.sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreign := &tokenIssuer{key: other}
	foreignTok, _ := foreign.sign(good)
	expired, wrongAud, wrongIss := good, good, good
	expired.Expiry = time.Now().Add(-time.Hour).Unix()
	wrongAud.Audience = audience{"elsewhere"}
	wrongIss.Issuer = "mallory"
	parts := strings.Split(sign(good), ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"berth-test-issuer","aud":"berth-test","exp":9999999999,"access":[{"type":"repository","name":"b","actions":["*"]}]}`)) + "." + parts[2]
	for name, tok := range map[string]string{
		"foreign key": foreignTok, "expired": sign(expired), "audience": sign(wrongAud), "issuer": sign(wrongIss),
		"alg none": none, "tampered": tampered, "garbage": "a.b.c",
	} {
		tr.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok) }
		r := tr.do("GET", "/v2/a/tags/list", nil)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %s", name, r)
		}
	}
	tr.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+sign(good)) }
	tr.expect(tr.do("GET", "/v2/a/tags/list", nil), http.StatusNotFound, "NAME_UNKNOWN")
}

// TestExternalTokenKeys checks tokens signed by an external issuer whose
// certificate is configured.
func TestExternalTokenKeys(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	path := filepath.Join(t.TempDir(), "keys.pem")
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	tr := newTestRegistry(t, Config{Auth: AuthConfig{Token: &TokenConfig{
		Realm: "https://auth.example/token", Service: "reg", Issuer: "ext", PublicKeys: []string{path}}}})
	tok, _ := (&tokenIssuer{key: key}).sign(tokenClaims{Issuer: "ext", Audience: audience{"reg"}, Expiry: time.Now().Add(time.Minute).Unix(),
		Access: []tokenAccess{{Type: "registry", Name: "catalog", Actions: []string{"*"}}}})
	r := tr.do("GET", "/v2/_catalog", nil)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Bearer realm="https://auth.example/token",service="reg",scope="registry:catalog:*"`) {
		t.Fatalf("challenge: %s", r)
	}
	tr.auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+tok) }
	tr.expect(tr.do("GET", "/v2/_catalog", nil), 200, "")
}

func TestParseScope(t *testing.T) {
	typ, name, actions, ok := parseScope("repository:localhost:5000/a/b:pull,push")
	if !ok || typ != "repository" || name != "localhost:5000/a/b" || strings.Join(actions, ",") != "pull,push" {
		t.Fatalf("parseScope = %q %q %v %v", typ, name, actions, ok)
	}
	if _, _, _, ok := parseScope("nonsense"); ok {
		t.Fatal("parsed nonsense")
	}
	g := grants([]string{"repository:a:pull,push,launch repository:../x:pull registry:catalog:*"})
	if len(g) != 2 || strings.Join(g[0].Actions, ",") != "pull,push" || g[1].Name != "catalog" {
		t.Fatalf("grants = %+v", g)
	}
}
