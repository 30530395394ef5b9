package server

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestImagePush(t *testing.T) {
	e, ts := newTestServer(t)
	auth := base64.URLEncoding.EncodeToString([]byte(`{"username":"alice","password":"wonderland"}`))
	resp, body := call(t, ts, "POST", "/images/pushable/push?tag=latest", nil, "X-Registry-Auth", auth)
	wantStatus(t, resp, body, 200, "")
	lines := strings.Split(strings.TrimSpace(string(body)), "\r\n")
	if len(lines) != 2 || lines[0] != `{"status":"The push refers to repository [docker.io/library/pushable]"}` ||
		!strings.Contains(lines[1], `"aux":{"Tag":"latest"`) {
		t.Fatalf("push stream:\n%s", body)
	}
	if e.lastAuth == nil || e.lastAuth.Username != "alice" {
		t.Errorf("credentials not passed: %+v", e.lastAuth)
	}
	// A refusal after the stream started is reported in it.
	resp, body = call(t, ts, "POST", "/images/other/push", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.Contains(string(body), `"errorDetail":{"message":"unauthorized: authentication required"}`) {
		t.Errorf("in-band error: %s", body)
	}
	resp, body = call(t, ts, "POST", "/images/UPPER/push", nil)
	wantStatus(t, resp, body, 400, "must be lowercase")
	resp, body = call(t, ts, "POST", "/images/app/push?tag=bad:tag", nil)
	wantStatus(t, resp, body, 400, "invalid tag format")
}

func TestAuth(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "POST", "/auth", map[string]string{"username": "alice", "password": "wonderland", "serveraddress": "r.example"})
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"Status":"Login Succeeded"}`+"\n" {
		t.Errorf("login: %s", body)
	}
	resp, body = call(t, ts, "POST", "/auth", map[string]string{"username": "alice", "password": "nope", "serveraddress": "r.example"})
	wantStatus(t, resp, body, 401, "login attempt to https://r.example/v2/ failed with status: 401 Unauthorized")
	resp, body = call(t, ts, "POST", "/auth", "{not json")
	wantStatus(t, resp, body, 400, "")
}

func TestDistributionInspect(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "GET", "/distribution/example.com/app/json", nil)
	wantStatus(t, resp, body, 200, "")
	var di struct {
		Descriptor struct{ MediaType, Digest string }
		Platforms  []struct{ Architecture string }
	}
	if err := json.Unmarshal(body, &di); err != nil || len(di.Platforms) != 2 || di.Descriptor.Digest != "sha256:"+hex64 {
		t.Fatalf("inspect: %v %s", err, body)
	}
	resp, body = call(t, ts, "GET", "/distribution/example.com/nope/json", nil)
	wantStatus(t, resp, body, 404, "manifest unknown")
	resp, body = call(t, ts, "GET", "/distribution/example.com/app", nil)
	wantStatus(t, resp, body, 404, "page not found")
}

func TestImageSearch(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "GET", "/images/search?term=busybox", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.Contains(string(body), `"name":"busybox"`) || !strings.Contains(string(body), `"name":"someone/busybox"`) {
		t.Errorf("search: %s", body)
	}
	resp, body = call(t, ts, "GET", `/images/search?term=busybox&filters={"is-official":{"true":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if strings.Contains(string(body), "someone") {
		t.Errorf("is-official filter: %s", body)
	}
	resp, body = call(t, ts, "GET", `/images/search?term=busybox&filters={"stars":{"5":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if strings.Contains(string(body), "someone") {
		t.Errorf("stars filter: %s", body)
	}
	resp, body = call(t, ts, "GET", "/images/search?term=busybox&limit=500", nil)
	wantStatus(t, resp, body, 400, "limit 500 is outside the range of [1, 100]")
	resp, body = call(t, ts, "GET", `/images/search?term=x&filters={"colour":{"x":true}}`, nil)
	wantStatus(t, resp, body, 400, "invalid filter 'colour'")
}
