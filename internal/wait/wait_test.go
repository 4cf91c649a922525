package wait

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUntilSucceedsAfterRetries(t *testing.T) {
	calls := 0
	err := Until(t.Context(), time.Second, time.Millisecond, func(context.Context) error {
		calls++
		if calls < 3 {
			return fmt.Errorf("attempt %d", calls)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("got %v after %d calls, want nil after 3", err, calls)
	}
}

func TestUntilFirstAttemptIsImmediate(t *testing.T) {
	began := time.Now()
	if err := Until(t.Context(), time.Minute, time.Minute, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("first attempt after %s", d)
	}
}

func TestUntilPermanentStops(t *testing.T) {
	final := errors.New("cannot work")
	calls := 0
	err := Until(t.Context(), time.Second, time.Millisecond, func(context.Context) error {
		calls++
		return Permanent(final)
	})
	if calls != 1 || err != final {
		t.Fatalf("got %v after %d calls, want %v after 1", err, calls, final)
	}
}

func TestUntilTimeoutWrapsLastError(t *testing.T) {
	sentinel := errors.New("not yet")
	calls := 0
	err := Until(t.Context(), 50*time.Millisecond, 5*time.Millisecond, func(context.Context) error {
		calls++
		return fmt.Errorf("attempt %d: %w", calls, sentinel)
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("errors.Is(%v, sentinel) is false", err)
	}
	if calls < 2 {
		t.Fatalf("%d calls, want retries", calls)
	}
	want := fmt.Sprintf("still failing after 50ms: attempt %d: not yet", calls)
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}

func TestUntilCallbackContextHasDeadline(t *testing.T) {
	var got time.Time
	var ok bool
	began := time.Now()
	err := Until(t.Context(), time.Minute, time.Millisecond, func(ctx context.Context) error {
		got, ok = ctx.Deadline()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ok || got.Before(began.Add(time.Minute)) || got.After(time.Now().Add(time.Minute)) {
		t.Fatalf("deadline %v (set %v), want about a minute from %v", got, ok, began)
	}
}

func TestUntilSlowCallbackIsCutOff(t *testing.T) {
	began := time.Now()
	err := Until(t.Context(), 50*time.Millisecond, time.Millisecond, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if err == nil || time.Since(began) > 5*time.Second {
		t.Fatalf("got %v after %s", err, time.Since(began))
	}
}

func TestUntilContextEnd(t *testing.T) {
	sentinel := errors.New("not yet")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	err := Until(ctx, time.Minute, 5*time.Millisecond, func(context.Context) error { return sentinel })
	if !errors.Is(err, sentinel) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still failing after") {
		t.Fatalf("got %v", err)
	}

	// Cancelled before any attempt: ctx's error is all there is to say.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	calls := 0
	err = Until(ctx, time.Minute, time.Millisecond, func(context.Context) error { calls++; return sentinel })
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("got %v after %d calls", err, calls)
	}
}

func TestUntilKeepsMeaningfulError(t *testing.T) {
	// The attempt the deadline cuts short fails with the deadline's error;
	// the earlier failure says more.
	sentinel := errors.New("route missing")
	calls := 0
	err := Until(t.Context(), 50*time.Millisecond, time.Millisecond, func(ctx context.Context) error {
		calls++
		if calls == 1 {
			return sentinel
		}
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("got %v", err)
	}
}

// Paced waits after each call at least as long as the call took, so a slow
// check is never run back to back; Until keeps its interval.
func TestPacedGapFollowsTheCall(t *testing.T) {
	for _, c := range []struct {
		name   string
		poll   func(context.Context, time.Duration, time.Duration, func(context.Context) error) error
		minGap time.Duration
	}{
		{"Paced", Paced, 40 * time.Millisecond},
		{"Until", Until, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ends, starts []time.Time
			err := c.poll(t.Context(), 5*time.Second, time.Millisecond, func(context.Context) error {
				starts = append(starts, time.Now())
				time.Sleep(50 * time.Millisecond) // the call's own work
				ends = append(ends, time.Now())
				if len(starts) < 4 {
					return errors.New("not yet")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(starts); i++ {
				gap := starts[i].Sub(ends[i-1])
				if gap < c.minGap {
					t.Errorf("call %d began %s after call %d ended, want at least %s", i+1, gap, i, c.minGap)
				}
				if c.minGap == 0 && gap > 40*time.Millisecond {
					t.Errorf("call %d began %s after call %d ended: Until waits its interval (1ms), not the call's time", i+1, gap, i)
				}
			}
		})
	}
}
