package server

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

func tarOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		_ = tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 1})
		_, _ = tw.Write([]byte("x"))
	}
	_ = tw.Close()
	return buf.Bytes()
}

func TestImageListInspectHistory(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "GET", "/images/json?all=1&filters="+`{"dangling":{"false":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if !bytes.Contains(body, []byte(`"RepoTags":["busybox:latest"]`)) || !bytes.Contains(body, []byte(`"RepoDigests":[]`)) {
		t.Errorf("list: %s", body)
	}
	resp, body = call(t, ts, "GET", "/v1.42/images/json", nil)
	wantStatus(t, resp, body, 200, "")
	if !bytes.Contains(body, []byte(`"VirtualSize":4096`)) {
		t.Errorf("v1.42 list lacks VirtualSize: %s", body)
	}
	resp, body = call(t, ts, "GET", "/images/json?filters="+`{"colour":{"x":true}}`, nil)
	wantStatus(t, resp, body, 400, "invalid filter 'colour'")

	resp, body = call(t, ts, "GET", "/images/busybox/json", nil)
	wantStatus(t, resp, body, 200, "")
	if bytes.Contains(body, []byte(`"Parent"`)) {
		t.Errorf("current inspect must omit legacy fields: %s", body)
	}
	resp, body = call(t, ts, "GET", "/v1.50/images/busybox:latest/json", nil)
	wantStatus(t, resp, body, 200, "")
	for _, k := range []string{`"Parent":""`, `"Comment":""`, `"DockerVersion":""`, `"Author":""`, `"Config":{"Cmd":null`} {
		if !bytes.Contains(body, []byte(k)) {
			t.Errorf("v1.50 inspect lacks %s: %s", k, body)
		}
	}
	resp, body = call(t, ts, "GET", "/images/docker.io/library/busybox:latest/json", nil)
	wantStatus(t, resp, body, 200, "")
	resp, body = call(t, ts, "GET", "/images/localhost:5000/a/b:c/json", nil)
	wantStatus(t, resp, body, 404, "No such image: localhost:5000/a/b:c")

	resp, body = call(t, ts, "GET", "/images/busybox/history", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.HasPrefix(string(body), `[{"Comment":"","Created":0,"CreatedBy":"/bin/sh -c #(nop) ADD file"`) {
		t.Errorf("history: %s", body)
	}
	resp, body = call(t, ts, "GET", "/images/nope/history", nil)
	wantStatus(t, resp, body, 404, "No such image: nope")
}

func TestImageTagDeletePrune(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "POST", "/images/busybox/tag?repo=example.com/me/bb&tag=v1", nil)
	wantStatus(t, resp, body, 201, "")
	resp, body = call(t, ts, "GET", "/images/example.com/me/bb:v1/json", nil)
	wantStatus(t, resp, body, 200, "")
	for q, msg := range map[string]string{
		"repo=UPPER":             "must be lowercase",
		"":                       "invalid reference format",
		"repo=sha256":            "refusing to create an ambiguous tag using digest algorithm as name",
		"repo=a&tag=bad:tag":     "invalid tag format",
		"repo=a@sha256:" + hex64: "cannot import digest reference",
	} {
		resp, body = call(t, ts, "POST", "/images/busybox/tag?"+q, nil)
		wantStatus(t, resp, body, 400, msg)
	}
	resp, body = call(t, ts, "POST", "/images/nope/tag?repo=x", nil)
	wantStatus(t, resp, body, 404, "No such image: nope")

	resp, body = call(t, ts, "DELETE", "/images/example.com/me/bb:v1?force=1&noprune=0", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.Contains(string(body), `{"Untagged":"busybox:latest"}`) || !strings.Contains(string(body), `{"Deleted":"sha256:`) {
		t.Errorf("delete: %s", body)
	}
	resp, body = call(t, ts, "DELETE", "/images/busybox", nil)
	wantStatus(t, resp, body, 404, "No such image: busybox")
	resp, body = call(t, ts, "DELETE", "/images/%20", nil)
	wantStatus(t, resp, body, 400, "image name cannot be blank")
	resp, body = call(t, ts, "POST", "/images/prune?filters="+`{"dangling":{"true":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"ImagesDeleted":null,"SpaceReclaimed":0}`+"\n" {
		t.Errorf("prune: %s", body)
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestImageLoadSave(t *testing.T) {
	e, ts := newTestServer(t)
	resp, body := call(t, ts, "POST", "/images/load?quiet=1", tarOf(t, "alpine:3", "debian:12"))
	wantStatus(t, resp, body, 200, "")
	want := `{"stream":"Loaded image: alpine:3\n"}` + "\r\n" + `{"stream":"Loaded image: debian:12\n"}` + "\r\n"
	if resp.Header.Get("Content-Type") != "application/json" || string(body) != want {
		t.Errorf("load: %q %q", resp.Header.Get("Content-Type"), body)
	}
	resp, body = call(t, ts, "POST", "/images/load", []byte("not a tar"))
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"error":"invalid archive: invalid argument","errorDetail":{"message":"invalid archive: invalid argument"}}`+"\r\n" {
		t.Errorf("load error: %q", body)
	}

	for _, path := range []string{"/images/get?names=alpine:3&names=busybox", "/images/alpine:3/get"} {
		resp, body = call(t, ts, "GET", path, nil)
		wantStatus(t, resp, body, 200, "")
		if resp.Header.Get("Content-Type") != "application/x-tar" {
			t.Errorf("save Content-Type %q", resp.Header.Get("Content-Type"))
		}
		tr := tar.NewReader(bytes.NewReader(body))
		h, err := tr.Next()
		if err != nil || h.Name != "alpine:3" {
			t.Errorf("save %s: %v %v", path, h, err)
		}
	}
	resp, body = call(t, ts, "GET", "/images/get?names=nope", nil)
	wantStatus(t, resp, body, 404, "No such image: nope")

	// A failure after the first byte aborts the response: the client must
	// see a broken download, not a complete one.
	e.errs["ImageSave.midway"] = errdefs.ErrInternal
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/images/get?names=busybox", nil)
	if r, err := ts.Client().Do(req); err == nil {
		_, err = io.ReadAll(r.Body)
		r.Body.Close()
		if err == nil {
			t.Error("aborted save read to a clean EOF")
		}
	}
	resp, body = call(t, ts, "GET", "/_ping", nil)
	wantStatus(t, resp, body, 200, "")
}

func TestImageCreate(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "POST", "/images/create?fromSrc=-&repo=imported&tag=v2&message=hi&changes=CMD+%5B%22sh%22%5D", []byte("rootfs"))
	wantStatus(t, resp, body, 200, "")
	var m struct{ Status string }
	if err := json.Unmarshal(body, &m); err != nil || !strings.HasPrefix(m.Status, "sha256:") || !strings.HasSuffix(string(body), "\r\n") {
		t.Fatalf("import: %q", body)
	}
	resp, body = call(t, ts, "GET", "/images/imported:v2/json", nil)
	wantStatus(t, resp, body, 200, "")
	if !bytes.Contains(body, []byte(`"Comment":"hi"`)) {
		t.Errorf("import message lost: %s", body)
	}
	resp, body = call(t, ts, "POST", "/images/create?fromSrc=http://example.com/x.tar", nil)
	wantStatus(t, resp, body, 501, "importing from a URL is not supported")

	resp, body = call(t, ts, "POST", "/images/create?fromImage=busybox&tag=latest", nil)
	wantStatus(t, resp, body, 501, "pulling images is not supported yet")
	resp, body = call(t, ts, "POST", "/images/create?fromImage=scratch", nil)
	wantStatus(t, resp, body, 403, "'scratch' is a reserved name")
	resp, body = call(t, ts, "POST", "/images/create?fromImage=Bad", nil)
	wantStatus(t, resp, body, 400, "must be lowercase")
	resp, body = call(t, ts, "POST", "/images/create?fromImage=pullable&tag=1", nil, "X-Registry-Auth", "e30=")
	wantStatus(t, resp, body, 200, "")
	lines := strings.Split(strings.TrimSpace(string(body)), "\r\n")
	if len(lines) != 2 || lines[0] != `{"status":"Pulling from pullable","id":"latest"}` ||
		lines[1] != `{"status":"Status: Downloaded newer image for pullable:1"}` {
		t.Errorf("pull stream %q", body)
	}
	// A failure after progress started is reported in the stream.
	resp, body = call(t, ts, "POST", "/images/create?fromImage=pullable-broken", nil)
	wantStatus(t, resp, body, 200, "")
	sc := bufio.NewScanner(bytes.NewReader(body))
	var last string
	for sc.Scan() {
		last = sc.Text()
	}
	if last != `{"error":"unexpected EOF while pulling: unavailable","errorDetail":{"message":"unexpected EOF while pulling: unavailable"}}` {
		t.Errorf("pull error line %q", last)
	}
}
