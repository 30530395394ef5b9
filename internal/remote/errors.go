package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// ErrDigestMismatch is the cause of an error for content whose bytes do not
// hash to the digest that names it. Such errors are also of kind
// errdefs.ErrInvalidArgument.
var ErrDigestMismatch = errors.New("digest mismatch")

// Error is a request a registry answered with an unexpected status. It
// wraps the errdefs kind of the status and error code.
type Error struct {
	// Method and URL are the request's.
	Method, URL string
	// Status is the HTTP status code.
	Status int
	// Code is the first error code of the body ("MANIFEST_UNKNOWN"), or "".
	Code string
	// Message is the registry's message for Code, or "".
	Message string
}

// Error returns Docker's wording: "<code in words>: <message>" when the
// registry sent an error code, else the request and its status.
func (e *Error) Error() string {
	if e.Code != "" {
		words := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
		if e.Message == "" {
			return words
		}
		return words + ": " + e.Message
	}
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%s %q: unexpected status: %d %s", opName(e.Method), e.URL, e.Status, http.StatusText(e.Status))
}

// Unwrap returns the errdefs kind.
func (e *Error) Unwrap() error { return kindOf(e.Status, e.Code) }

// opName spells a method the way net/http's errors do ("Get", "Head").
func opName(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// kindOf maps a status and an error code of the distribution spec to an
// errdefs kind: the one such table of the package.
func kindOf(status int, code string) error {
	switch code {
	case "UNAUTHORIZED":
		return errdefs.ErrUnauthorized
	case "DENIED":
		return errdefs.ErrPermissionDenied
	case "BLOB_UNKNOWN", "BLOB_UPLOAD_UNKNOWN", "MANIFEST_UNKNOWN", "NAME_UNKNOWN":
		return errdefs.ErrNotFound
	case "TOOMANYREQUESTS":
		return errdefs.ErrUnavailable
	case "UNSUPPORTED":
		return errdefs.ErrNotImplemented
	case "BLOB_UPLOAD_INVALID", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",
		"MANIFEST_UNVERIFIED", "NAME_INVALID", "SIZE_INVALID", "TAG_INVALID", "RANGE_INVALID":
		return errdefs.ErrInvalidArgument
	}
	switch {
	case status == http.StatusUnauthorized:
		return errdefs.ErrUnauthorized
	case status == http.StatusForbidden:
		return errdefs.ErrPermissionDenied
	case status == http.StatusNotFound:
		return errdefs.ErrNotFound
	case status == http.StatusTooManyRequests || status >= 500 && status != http.StatusNotImplemented:
		return errdefs.ErrUnavailable
	case status == http.StatusNotImplemented || status == http.StatusMethodNotAllowed:
		return errdefs.ErrNotImplemented
	case status >= 400:
		return errdefs.ErrInvalidArgument
	}
	return errdefs.ErrInternal
}

// errorBody is the error envelope of the distribution spec, plus the
// "details" and "error" fields token servers use.
type errorBody struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Details string `json:"details"`
	Error   string `json:"error"`
}

// responseError reads a failed response's body into an *Error. It does not
// close the body.
func responseError(resp *http.Response) *Error {
	e := &Error{Method: resp.Request.Method, URL: resp.Request.URL.Redacted(), Status: resp.StatusCode}
	if resp.Request.Method == http.MethodHead {
		return e
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body errorBody
	if json.Unmarshal(raw, &body) == nil {
		switch {
		case len(body.Errors) > 0:
			e.Code, e.Message = body.Errors[0].Code, body.Errors[0].Message
		case body.Details != "":
			e.Message = body.Details
		case body.Error != "":
			e.Message = body.Error
		}
	}
	return e
}

// DigestMismatch is the error for content (what: "blob", "manifest")
// named want whose bytes hash to got: of kind ErrInvalidArgument, wrapping
// ErrDigestMismatch.
func DigestMismatch(what string, want, got digest.Digest) error {
	return digestMismatch(what, want, got)
}

// digestMismatch is the error for content that does not match its digest.
func digestMismatch(what string, want, got digest.Digest) error {
	return errdefs.Errorf(errdefs.ErrInvalidArgument, "%s %s: %w: the content received hashes to %s", what, want, ErrDigestMismatch, got)
}
