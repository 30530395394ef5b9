package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/berthproject/berth/errdefs"
)

// Code is one row of the registry's error table: the code string of the
// OCI distribution spec, its standard message, the HTTP status it is sent
// with and the errdefs kind it belongs to. A *Code is an error, so storage
// wraps it with context (fmt.Errorf("blob %s: %w", d, api.ErrBlobUnknown))
// and errdefs.IsNotFound still works on the result.
type Code struct {
	Name    string
	Message string
	Status  int
	Kind    error
}

func (c *Code) Error() string { return c.Message }

// Unwrap returns the errdefs kind.
func (c *Code) Unwrap() error { return c.Kind }

// The error table. The first fourteen codes are the OCI distribution spec's;
// the rest are the extra codes Docker's distribution registry sends, which
// clients know.
var (
	ErrBlobUnknown         = &Code{"BLOB_UNKNOWN", "blob unknown to registry", http.StatusNotFound, errdefs.ErrNotFound}
	ErrBlobUploadInvalid   = &Code{"BLOB_UPLOAD_INVALID", "blob upload invalid", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrBlobUploadUnknown   = &Code{"BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", http.StatusNotFound, errdefs.ErrNotFound}
	ErrDigestInvalid       = &Code{"DIGEST_INVALID", "provided digest did not match uploaded content", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrManifestBlobUnknown = &Code{"MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrManifestInvalid     = &Code{"MANIFEST_INVALID", "manifest invalid", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrManifestUnknown     = &Code{"MANIFEST_UNKNOWN", "manifest unknown to registry", http.StatusNotFound, errdefs.ErrNotFound}
	ErrNameInvalid         = &Code{"NAME_INVALID", "invalid repository name", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrNameUnknown         = &Code{"NAME_UNKNOWN", "repository name not known to registry", http.StatusNotFound, errdefs.ErrNotFound}
	ErrSizeInvalid         = &Code{"SIZE_INVALID", "provided length did not match content length", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrUnauthorized        = &Code{"UNAUTHORIZED", "authentication required", http.StatusUnauthorized, errdefs.ErrUnauthorized}
	ErrDenied              = &Code{"DENIED", "requested access to the resource is denied", http.StatusForbidden, errdefs.ErrPermissionDenied}
	ErrUnsupported         = &Code{"UNSUPPORTED", "the operation is unsupported", http.StatusMethodNotAllowed, errdefs.ErrNotImplemented}
	ErrTooManyRequests     = &Code{"TOOMANYREQUESTS", "too many requests", http.StatusTooManyRequests, errdefs.ErrUnavailable}

	// ErrManifestTooLarge is SIZE_INVALID sent with 413, as the spec asks
	// for manifests over the registry's limit.
	ErrManifestTooLarge = &Code{"SIZE_INVALID", "manifest exceeds the size limit", http.StatusRequestEntityTooLarge, errdefs.ErrInvalidArgument}
	ErrTagInvalid       = &Code{"TAG_INVALID", "manifest tag did not match URI", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrRangeInvalid     = &Code{"RANGE_INVALID", "invalid content range", http.StatusRequestedRangeNotSatisfiable, errdefs.ErrInvalidArgument}
	ErrPaginationNumber = &Code{"PAGINATION_NUMBER_INVALID", "invalid number of results requested", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ErrReadOnly         = &Code{"UNSUPPORTED", "the registry is in read-only mode", http.StatusMethodNotAllowed, errdefs.ErrNotImplemented}
	ErrMethodNotAllowed = &Code{"UNSUPPORTED", "method not allowed on this endpoint", http.StatusMethodNotAllowed, errdefs.ErrNotImplemented}
	ErrNotFound         = &Code{"NOT_FOUND", "endpoint not found", http.StatusNotFound, errdefs.ErrNotFound}
	ErrUnavailable      = &Code{"UNAVAILABLE", "service unavailable", http.StatusServiceUnavailable, errdefs.ErrUnavailable}
	ErrUnknown          = &Code{"UNKNOWN", "unknown error", http.StatusInternalServerError, errdefs.ErrInternal}
)

// Codes is the whole table, for documentation and tests.
var Codes = []*Code{
	ErrBlobUnknown, ErrBlobUploadInvalid, ErrBlobUploadUnknown, ErrDigestInvalid, ErrManifestBlobUnknown,
	ErrManifestInvalid, ErrManifestUnknown, ErrNameInvalid, ErrNameUnknown, ErrSizeInvalid, ErrUnauthorized,
	ErrDenied, ErrUnsupported, ErrTooManyRequests, ErrManifestTooLarge, ErrTagInvalid, ErrRangeInvalid,
	ErrPaginationNumber, ErrReadOnly, ErrMethodNotAllowed, ErrNotFound, ErrUnavailable, ErrUnknown,
}

// byKind answers for errors that carry no Code: the errdefs kind decides.
var byKind = []struct {
	kind error
	code *Code
}{
	{errdefs.ErrUnauthorized, ErrUnauthorized},
	{errdefs.ErrPermissionDenied, ErrDenied},
	{errdefs.ErrNotImplemented, ErrUnsupported},
	{errdefs.ErrUnavailable, ErrUnavailable},
	{errdefs.ErrNotFound, ErrNotFound},
}

// detailError attaches the "detail" member of an error body.
type detailError struct {
	err    error
	detail any
}

func (e detailError) Error() string { return e.err.Error() }
func (e detailError) Unwrap() error { return e.err }

// WithDetail returns err carrying detail, sent as the error's "detail".
func WithDetail(err error, detail any) error { return detailError{err: err, detail: detail} }

// ErrorBody is one entry of an OCI error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// Lookup maps err to its table row and the body entry to send. It is the
// registry's only error → HTTP mapping. Errors without a Code (or a kind
// with a natural code) are internal: their text is not sent to clients.
func Lookup(err error) (*Code, ErrorBody) {
	var c *Code
	if !errors.As(err, &c) {
		c = ErrUnknown
		for _, k := range byKind {
			if errors.Is(err, k.kind) {
				c = k.code
				break
			}
		}
	}
	body := ErrorBody{Code: c.Name, Message: c.Message}
	if c != ErrUnknown {
		body.Message = err.Error()
	}
	var de detailError
	if errors.As(err, &de) {
		body.Detail = de.detail
	}
	return c, body
}

// WriteError sends err as an OCI error response and returns the status sent.
func WriteError(w http.ResponseWriter, err error) int {
	c, body := Lookup(err)
	b, _ := json.Marshal(struct {
		Errors []ErrorBody `json:"errors"`
	}{[]ErrorBody{body}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	h.Del("Docker-Content-Digest")
	w.WriteHeader(c.Status)
	w.Write(b)
	return c.Status
}
