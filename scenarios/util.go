package scenarios

import (
	"context"
	"strings"
	"time"
)

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func containsText(s, sub string) bool { return strings.Contains(s, sub) }

// frrCommunity is how FRR prints a topology community: well-known names by
// FRR's own spelling, numbers as they are.
func frrCommunity(c string) string {
	if n, ok := frrWellKnown[c]; ok {
		return n
	}
	return c
}

// frrWellKnown maps the topology's well-known community names to FRR's
// display names where they differ (FRR 10.7 prints the others as the
// topology writes them).
var frrWellKnown = map[string]string{"local-as": "local-AS"}
