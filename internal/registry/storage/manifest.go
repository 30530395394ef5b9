package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest is what the registry needs to know about a manifest it stores:
// its media type, what it references and how it shows in the referrers API.
// The bytes themselves are stored untouched.
type Manifest struct {
	MediaType    string
	ArtifactType string // artifactType, or config.mediaType of an image manifest
	Annotations  map[string]string
	Subject      *ocispec.Descriptor
	Config       *ocispec.Descriptor
	Layers       []ocispec.Descriptor // config and layers a manifest needs in the repository
	Manifests    []ocispec.Descriptor // children of an index
}

// rawManifest is the union of the manifest and index shapes (OCI and
// Docker schema 2 share them).
type rawManifest struct {
	SchemaVersion *int                 `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	ArtifactType  string               `json:"artifactType"`
	Config        *ocispec.Descriptor  `json:"config"`
	Layers        []ocispec.Descriptor `json:"layers"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Subject       *ocispec.Descriptor  `json:"subject"`
	Annotations   map[string]string    `json:"annotations"`
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), api.ErrManifestInvalid)
}

// ParseManifest checks a manifest body sent with Content-Type contentType
// and returns what it references. Accepted: OCI image manifest and index,
// Docker schema 2 manifest and manifest list. The media type comes from
// Content-Type, or from the body's mediaType field when the header is
// missing or generic; when both are given they must agree (so a manifest
// cannot pose as another kind). Every descriptor must carry a valid digest
// and size, and inline data must match them. Errors wrap
// api.ErrManifestInvalid.
func ParseManifest(contentType string, body []byte) (*Manifest, error) {
	var raw rawManifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("manifest is not a JSON object (%v)", err)
	}
	if dec.More() {
		return nil, invalid("trailing data after the manifest")
	}
	mt, err := manifestMediaType(contentType, &raw)
	if err != nil {
		return nil, err
	}
	if raw.SchemaVersion == nil || *raw.SchemaVersion != 2 {
		return nil, invalid("schemaVersion must be 2")
	}
	m := &Manifest{MediaType: mt, ArtifactType: raw.ArtifactType, Annotations: raw.Annotations}
	switch mt {
	case api.MediaTypeOCIManifest, api.MediaTypeDockerManifest:
		err = parseImage(m, &raw)
	case api.MediaTypeOCIIndex, api.MediaTypeDockerList:
		err = parseIndex(m, &raw)
	}
	if err != nil {
		return nil, err
	}
	if raw.Subject != nil {
		if err := checkDescriptor("subject", raw.Subject); err != nil {
			return nil, err
		}
		m.Subject = raw.Subject
	}
	return m, nil
}

func manifestMediaType(contentType string, raw *rawManifest) (string, error) {
	mt := api.BaseMediaType(contentType)
	if mt == "application/json" || mt == api.MediaTypeOctetStream {
		mt = ""
	}
	switch {
	case mt == "" && raw.MediaType != "":
		mt = raw.MediaType
	case mt == "" && raw.Config != nil:
		mt = api.MediaTypeOCIManifest
	case mt == "" && raw.Manifests != nil:
		mt = api.MediaTypeOCIIndex
	case mt == "":
		return "", invalid("unknown manifest media type")
	case raw.MediaType != "" && raw.MediaType != mt:
		return "", invalid("mediaType %q does not match Content-Type %q", raw.MediaType, mt)
	}
	switch mt {
	case api.MediaTypeOCIManifest, api.MediaTypeOCIIndex, api.MediaTypeDockerManifest, api.MediaTypeDockerList:
		return mt, nil
	case api.MediaTypeDockerSchema1, api.MediaTypeDockerSchema1JS:
		return "", invalid("docker schema 1 manifests are not supported")
	}
	return "", invalid("unsupported manifest media type %q", mt)
}

func parseImage(m *Manifest, raw *rawManifest) error {
	if raw.Manifests != nil {
		return invalid("an image manifest has no manifests field")
	}
	if raw.Config == nil {
		return invalid("image manifest without config")
	}
	if err := checkDescriptor("config", raw.Config); err != nil {
		return err
	}
	m.Config = raw.Config
	if m.ArtifactType == "" {
		m.ArtifactType = raw.Config.MediaType
	}
	m.Layers = append(m.Layers, *raw.Config)
	for i := range raw.Layers {
		l := &raw.Layers[i]
		if err := checkDescriptor(fmt.Sprintf("layer %d", i), l); err != nil {
			return err
		}
		if !foreign(l) {
			m.Layers = append(m.Layers, *l)
		}
	}
	return nil
}

func parseIndex(m *Manifest, raw *rawManifest) error {
	if raw.Config != nil || raw.Layers != nil {
		return invalid("an index has no config or layers field")
	}
	for i := range raw.Manifests {
		if err := checkDescriptor(fmt.Sprintf("manifest %d", i), &raw.Manifests[i]); err != nil {
			return err
		}
	}
	m.Manifests = raw.Manifests
	return nil
}

// foreign reports whether a layer is not expected in the registry: Docker
// foreign layers, OCI non-distributable layers, or layers with URLs to
// fetch them from.
func foreign(d *ocispec.Descriptor) bool {
	return len(d.URLs) > 0 ||
		strings.HasPrefix(d.MediaType, "application/vnd.docker.image.rootfs.foreign.") ||
		strings.HasPrefix(d.MediaType, "application/vnd.oci.image.layer.nondistributable.")
}

func checkDescriptor(what string, d *ocispec.Descriptor) error {
	if _, err := api.ParseDigest(d.Digest.String()); err != nil {
		return invalid("%s: invalid digest %q", what, d.Digest)
	}
	if d.Size < 0 {
		return invalid("%s: negative size", what)
	}
	if d.Data != nil {
		if int64(len(d.Data)) != d.Size || d.Digest.Algorithm().FromBytes(d.Data) != d.Digest {
			return invalid("%s: data does not match digest and size", what)
		}
	}
	return nil
}

// referrerDescriptor is how a manifest with digest d and size shows in the
// referrers API.
func (m *Manifest) referrerDescriptor(d digest.Digest, size int64) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType:    m.MediaType,
		ArtifactType: m.ArtifactType,
		Digest:       d,
		Size:         size,
		Annotations:  m.Annotations,
	}
}
