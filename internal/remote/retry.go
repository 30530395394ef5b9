package remote

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/berthproject/berth/internal/logging"
)

// retryPolicy retries transient failures with exponential back-off.
type retryPolicy struct {
	attempts int
	base     time.Duration
}

// do calls fn until it succeeds, fails permanently, or the attempts run
// out; it returns fn's last error.
func (p retryPolicy) do(ctx context.Context, what string, fn func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || !Transient(err) || attempt >= p.attempts {
			return err
		}
		delay := p.delay(attempt)
		logging.From(ctx).Info("registry request failed, retrying", "request", what, "attempt", attempt, "delay", delay, logging.Err(err))
		if werr := sleep(ctx, delay); werr != nil {
			return err
		}
	}
}

// delay is the wait after the given failed attempt (1-based).
func (p retryPolicy) delay(attempt int) time.Duration {
	d := p.base << (attempt - 1)
	if limit := 10 * p.base; d > limit || d <= 0 {
		d = limit
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Transient reports whether err may go away if the request is tried again:
// connection failures, truncated bodies, 429 and 5xx answers (but not
// 501). Cancellation, TLS verification failures and definite answers are
// not transient.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *Error
	if errors.As(err, &re) {
		return re.Status == http.StatusTooManyRequests ||
			re.Status >= 500 && re.Status != http.StatusNotImplemented && re.Status != http.StatusHTTPVersionNotSupported
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr x509.CertificateInvalidError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certErr) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
