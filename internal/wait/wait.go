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

// Until calls fn until it returns nil, returns a Permanent error, timeout
// passes or ctx ends. The first call is immediate, the next ones interval
// after the previous call returned. A timeout of zero or less sets no
// deadline of Until's own: only ctx bounds the wait.
//
// fn gets a context derived from ctx that carries the deadline (ctx's or
// start+timeout, whichever is sooner), so a slow call is cut off too.
//
// A Permanent error is returned unwrapped, at once. On timeout or when ctx
// ends, the error says how long Until waited and wraps fn's last error with
// %w, so errors.Is and errors.As see through it. An error fn returned only
// because the deadline cut it short does not replace an earlier, more
// telling one. When ctx ended, its error (cause) is wrapped too; that is
// all there is when ctx ended before any call of fn returned.
func Until(ctx context.Context, timeout, interval time.Duration, fn func(ctx context.Context) error) error {
	return until(ctx, timeout, interval, false, fn)
}

// Paced is Until, except that after a call the next one waits at least as
// long as that call took (or interval, if longer): the poll spends at most
// half its time calling fn. For checks whose calls load what they watch: a
// round of lab checks runs vtysh in every speaker's FRR, and back to back
// they kept FRR's own config reloads from finishing on two cores.
func Paced(ctx context.Context, timeout, interval time.Duration, fn func(ctx context.Context) error) error {
	return until(ctx, timeout, interval, true, fn)
}

func until(ctx context.Context, timeout, interval time.Duration, paced bool, fn func(ctx context.Context) error) error {
	start := time.Now()
	parent := ctx
	if err := parent.Err(); err != nil {
		return fmt.Errorf("gave up before the first attempt: %w", context.Cause(parent))
	}
	cctx := parent
	if timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(parent, timeout)
		defer cancel()
	}

	var last error
	for {
		began := time.Now()
		err := fn(cctx)
		gap := interval
		if took := time.Since(began); paced && took > gap {
			gap = took
		}
		if err == nil {
			return nil
		}
		var p permanentError
		if errors.As(err, &p) {
			return p.err
		}
		if cctx.Err() == nil || last == nil {
			last = err
		}
		if cctx.Err() == nil {
			timer := time.NewTimer(gap)
			select {
			case <-cctx.Done():
				timer.Stop()
			case <-timer.C:
				continue
			}
		}
		if parent.Err() == nil {
			// Our own timeout, not the caller's context.
			return fmt.Errorf("still failing after %s: %w", timeout, last)
		}
		return fmt.Errorf("still failing after %s (%w): %w", time.Since(start).Round(time.Millisecond), context.Cause(parent), last)
	}
}
