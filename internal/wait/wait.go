// Package wait polls a condition with a deadline. Checks in peerlab return
// an error describing what they saw, so the same check is a one-shot
// assertion or, through Until, a wait for readiness; on timeout the caller
// gets the last observed state, not just "timed out".
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// permanentError stops a poll at once: retrying cannot help.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as final: Until returns it without retrying.
func Permanent(err error) error { return permanentError{err} }

// Until calls fn every interval until it returns nil, returns a Permanent
// error, the context ends, or timeout passes. The returned error holds fn's
// last error.
func Until(ctx context.Context, timeout, interval time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		var p permanentError
		if errors.As(err, &p) {
			return p.err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still failing after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}
