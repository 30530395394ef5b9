package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
)

// testRegistry is a registry behind an httptest server.
type testRegistry struct {
	t   *testing.T
	reg *Registry
	srv *httptest.Server
	// auth, when set, is added to every request.
	auth func(*http.Request)
}

// newTestRegistry starts a registry on in-memory storage (or the
// filesystem when cfg says so) with cfg's other settings.
func newTestRegistry(t *testing.T, cfg Config) *testRegistry {
	t.Helper()
	if cfg.Storage.Driver == "" {
		cfg.Storage.Driver = "inmemory"
	}
	cfg.Log.NoAccessLog = true
	reg, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, reg: reg, srv: srv}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errCode returns the first OCI error code of the body.
func (r response) errCode() string {
	var b struct{ Errors []api.ErrorBody }
	json.Unmarshal(r.body, &b)
	if len(b.Errors) == 0 {
		return ""
	}
	return b.Errors[0].Code
}

func (r response) String() string {
	return fmt.Sprintf("%d %v %.300s", r.status, r.header, r.body)
}

// do sends a request; headers alternate name, value.
func (tr *testRegistry) do(method, path string, body []byte, headers ...string) response {
	tr.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = tr.srv.URL + path
	}
	req, err := http.NewRequestWithContext(tr.t.Context(), method, path, bytes.NewReader(body))
	if err != nil {
		tr.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if tr.auth != nil {
		tr.auth(req)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		tr.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (tr *testRegistry) expect(r response, status int, code string) {
	tr.t.Helper()
	if r.status != status || (code != "" && r.errCode() != code) {
		tr.t.Fatalf("got %s; want %d %s", r, status, code)
	}
}

// pushBlob uploads content monolithically and returns its digest.
func (tr *testRegistry) pushBlob(name string, content []byte) digest.Digest {
	tr.t.Helper()
	d := digest.FromBytes(content)
	r := tr.do("POST", "/v2/"+name+"/blobs/uploads/?digest="+d.String(), content)
	tr.expect(r, http.StatusCreated, "")
	return d
}

// pushImage pushes a config, the layers and an OCI manifest under ref and
// returns the manifest digest and bytes.
func (tr *testRegistry) pushImage(name, ref string, layers ...[]byte) (digest.Digest, []byte) {
	tr.t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","layers":%d}`, len(layers)))
	cd := tr.pushBlob(name, cfg)
	var ls []string
	for _, l := range layers {
		d := tr.pushBlob(name, l)
		ls = append(ls, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":%q,"size":%d}`, d, len(l)))
	}
	m := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},"layers":[%s]}`,
		api.MediaTypeOCIManifest, cd, len(cfg), strings.Join(ls, ",")))
	r := tr.do("PUT", "/v2/"+name+"/manifests/"+ref, m, "Content-Type", api.MediaTypeOCIManifest)
	tr.expect(r, http.StatusCreated, "")
	return digest.FromBytes(m), m
}
