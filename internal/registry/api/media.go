package api

import (
	"mime"
	"strings"
)

// Media types the registry knows by name.
const (
	MediaTypeOCIManifest     = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex        = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest  = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList      = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerSchema1   = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1JS = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	MediaTypeEmptyJSON       = "application/vnd.oci.empty.v1+json"
	MediaTypeOctetStream     = "application/octet-stream"
)

// Headers of the distribution API.
const (
	HeaderContentDigest = "Docker-Content-Digest"
	HeaderUploadUUID    = "Docker-Upload-UUID"
	HeaderAPIVersion    = "Docker-Distribution-API-Version"
	HeaderSubject       = "OCI-Subject"
	HeaderFiltersApply  = "OCI-Filters-Applied"
	HeaderTag           = "OCI-Tag"
)

// BaseMediaType strips parameters and lower-cases a Content-Type value.
func BaseMediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}
