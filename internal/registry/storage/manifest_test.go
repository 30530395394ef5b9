package storage

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
)

var (
	cfgDigest   = digest.FromString("config")
	layerDigest = digest.FromString("layer")
)

func imageJSON(extra string) string {
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":6},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":5}]%s}`,
		cfgDigest, layerDigest, extra)
}

func TestParseManifest(t *testing.T) {
	data := base64.StdEncoding.EncodeToString([]byte("config"))
	tests := []struct {
		name, ct, body string
		wantType       string
		wantLayers     int
		wantErr        bool
	}{
		{"oci image", api.MediaTypeOCIManifest, imageJSON(""), api.MediaTypeOCIManifest, 2, false},
		{"content type from body", "", imageJSON(""), api.MediaTypeOCIManifest, 2, false},
		{"generic content type", "application/json", imageJSON(""), api.MediaTypeOCIManifest, 2, false},
		{"content type with parameters", api.MediaTypeOCIManifest + "; charset=utf-8", imageJSON(""), api.MediaTypeOCIManifest, 2, false},
		{"no mediaType field", api.MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + cfgDigest.String() + `","size":6},"layers":[]}`, api.MediaTypeOCIManifest, 1, false},
		{"docker schema2", api.MediaTypeDockerManifest, strings.Replace(imageJSON(""), api.MediaTypeOCIManifest, api.MediaTypeDockerManifest, 1), api.MediaTypeDockerManifest, 2, false},
		{"foreign layer skipped", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"size":5}`, `"size":5,"urls":["https://x"]}`, 1), api.MediaTypeOCIManifest, 1, false},
		{"valid data field", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"size":6}`, `"size":6,"data":"`+data+`"}`, 1), api.MediaTypeOCIManifest, 2, false},
		{"oci index", api.MediaTypeOCIIndex, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"x","digest":"` + cfgDigest.String() + `","size":1}]}`, api.MediaTypeOCIIndex, 0, false},
		{"empty index", "", `{"schemaVersion":2,"manifests":[]}`, api.MediaTypeOCIIndex, 0, false},
		{"docker list", api.MediaTypeDockerList, `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`, api.MediaTypeDockerList, 0, false},

		{"not json", api.MediaTypeOCIManifest, "blablabla", "", 0, true},
		{"json array", api.MediaTypeOCIManifest, "[]", "", 0, true},
		{"trailing garbage", api.MediaTypeOCIManifest, imageJSON("") + "{}", "", 0, true},
		{"type mismatch", api.MediaTypeOCIIndex, imageJSON(""), "", 0, true},
		{"schema version 1", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"schemaVersion":2`, `"schemaVersion":1`, 1), "", 0, true},
		{"schema version missing", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"schemaVersion":2,`, ``, 1), "", 0, true},
		{"schema1", api.MediaTypeDockerSchema1JS, `{"schemaVersion":1}`, "", 0, true},
		{"unknown type", "application/vnd.example+json", `{"schemaVersion":2}`, "", 0, true},
		{"no config", api.MediaTypeOCIManifest, `{"schemaVersion":2,"layers":[]}`, "", 0, true},
		{"bad layer digest", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), layerDigest.String(), "sha256:nothex", 1), "", 0, true},
		{"md5 digest", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), layerDigest.String(), "md5:"+strings.Repeat("a", 32), 1), "", 0, true},
		{"negative size", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"size":5`, `"size":-5`, 1), "", 0, true},
		{"wrong data field", api.MediaTypeOCIManifest, strings.Replace(imageJSON(""), `"size":6}`, `"size":6,"data":"d3Jvbmc="}`, 1), "", 0, true},
		{"index with layers", api.MediaTypeOCIIndex, `{"schemaVersion":2,"manifests":[],"layers":[]}`, "", 0, true},
		{"manifest with manifests", api.MediaTypeOCIManifest, imageJSON(`,"manifests":[]`), "", 0, true},
		{"bad subject", api.MediaTypeOCIManifest, imageJSON(`,"subject":{"digest":"nope","size":1}`), "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest(tc.ct, []byte(tc.body))
			if tc.wantErr {
				if !errors.Is(err, api.ErrManifestInvalid) {
					t.Fatalf("ParseManifest = %+v, %v; want MANIFEST_INVALID", m, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.MediaType != tc.wantType || len(m.Layers) != tc.wantLayers {
				t.Fatalf("got %s with %d blobs, want %s with %d", m.MediaType, len(m.Layers), tc.wantType, tc.wantLayers)
			}
		})
	}
}

func TestArtifactType(t *testing.T) {
	m, err := ParseManifest("", []byte(imageJSON(`,"subject":{"mediaType":"x","digest":"`+layerDigest.String()+`","size":1},"annotations":{"a":"b"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != "application/vnd.oci.image.config.v1+json" || m.Subject == nil || m.Annotations["a"] != "b" {
		t.Fatalf("artifact type %q from config, subject %v", m.ArtifactType, m.Subject)
	}
	m, err = ParseManifest("", []byte(imageJSON(`,"artifactType":"application/x"`)))
	if err != nil || m.ArtifactType != "application/x" {
		t.Fatalf("artifactType field: %+v, %v", m, err)
	}
}

// FuzzParseManifest: no input panics; an accepted manifest has a known
// media type and only valid descriptors, and parsing is deterministic.
func FuzzParseManifest(f *testing.F) {
	f.Add(api.MediaTypeOCIManifest, []byte(imageJSON("")))
	f.Add("", []byte(`{"schemaVersion":2,"manifests":[{"digest":"`+cfgDigest.String()+`","size":3}]}`))
	f.Add(api.MediaTypeDockerManifest, []byte(`{"schemaVersion":2,"config":{"digest":"sha512:`+strings.Repeat("a", 128)+`","size":1}}`))
	f.Add("", []byte(`{"schemaVersion":2,"config":{"digest":"sha256:`+strings.Repeat("a", 64)+`","size":1,"data":"YQ=="}}`))
	f.Add("application/json", []byte("{\"schemaVersion\":2"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		m, err := ParseManifest(ct, body)
		if err != nil {
			if !errors.Is(err, api.ErrManifestInvalid) {
				t.Fatalf("error %v is not MANIFEST_INVALID", err)
			}
			return
		}
		switch m.MediaType {
		case api.MediaTypeOCIManifest, api.MediaTypeOCIIndex, api.MediaTypeDockerManifest, api.MediaTypeDockerList:
		default:
			t.Fatalf("accepted media type %q", m.MediaType)
		}
		for _, d := range append(m.Layers, m.Manifests...) {
			if _, err := api.ParseDigest(d.Digest.String()); err != nil || d.Size < 0 {
				t.Fatalf("accepted descriptor %+v", d)
			}
		}
		again, err := ParseManifest(ct, body)
		if err != nil || again.MediaType != m.MediaType || len(again.Layers) != len(m.Layers) {
			t.Fatal("parsing is not deterministic")
		}
	})
}
