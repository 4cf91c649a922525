package matrix

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SetDefault and SetAll name the lane sets an invocation of the runner can
// run as a whole (Result.Set); hand-picked lanes have no set.
const (
	SetDefault = "default"
	SetAll     = "all"
)

// SuiteRun is one invocation of the runner over a whole set, as the history
// recorded it.
type SuiteRun struct {
	Run     string    `json:"run"`
	Started time.Time `json:"started"`
	Lanes   int       `json:"lanes"`
	// Complete: every lane the invocation planned has a result and none was
	// interrupted. Only complete runs say whether the set passes.
	Complete bool     `json:"complete"`
	Passed   bool     `json:"passed"`
	Failed   []string `json:"failed,omitempty"` // "lane: test, test" per failed lane
}

// Suites groups the history's results by invocation, for invocations that
// ran the given set, oldest first.
func Suites(history []Result, set string) []SuiteRun {
	byRun := map[string]*SuiteRun{}
	planned := map[string]int{}
	for _, r := range history {
		if r.Set != set || r.Run == "" {
			continue
		}
		s := byRun[r.Run]
		if s == nil {
			s = &SuiteRun{Run: r.Run, Started: r.Started, Complete: true, Passed: true}
			byRun[r.Run] = s
			planned[r.Run] = r.Of
		}
		s.Lanes++
		if r.Interrupted || r.Of == 0 || r.Of != planned[r.Run] {
			s.Complete = false
		}
		if !r.Passed {
			s.Passed = false
			what := r.Error
			if len(r.Failed) > 0 {
				what = strings.Join(r.Failed, ", ")
			}
			s.Failed = append(s.Failed, r.Lane+": "+what)
		}
	}
	var out []SuiteRun
	for run, s := range byRun {
		// A runner killed outright (no chance to record the rest) leaves
		// fewer results than it planned.
		if s.Lanes != planned[run] {
			s.Complete = false
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b SuiteRun) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.Run, b.Run)
	})
	return out
}

// Streak counts the newest complete runs of a set that passed whole, back
// to the newest complete run that failed (returned too, nil if none).
func Streak(suites []SuiteRun) (int, *SuiteRun) {
	n := 0
	for i := len(suites) - 1; i >= 0; i-- {
		s := suites[i]
		if !s.Complete {
			continue
		}
		if !s.Passed {
			return n, &s
		}
		n++
	}
	return n, nil
}

// Record renders what the history says: tests that failed intermittently,
// and how the default set has done run after run.
func Record(history []Result) string {
	var b strings.Builder
	if flaky := FlakyTests(history); len(flaky) > 0 {
		fmt.Fprintf(&b, "intermittent failures in the history:\n")
		for _, f := range flaky {
			fmt.Fprintf(&b, "  %-24s %s: failed %d of %d runs\n", f.Lane, f.Test, f.Failed, f.Runs)
		}
	} else {
		fmt.Fprintf(&b, "no intermittent failures in the history\n")
	}
	suites := Suites(history, SetDefault)
	complete := 0
	for _, s := range suites {
		if s.Complete {
			complete++
		}
	}
	if complete == 0 {
		fmt.Fprintf(&b, "no complete run of the default set in the history\n")
		return b.String()
	}
	n, last := Streak(suites)
	fmt.Fprintf(&b, "default set: %d complete run(s) in the history; the newest %d in a row passed whole\n", complete, n)
	if last != nil {
		fmt.Fprintf(&b, "  the newest that failed: run %s: %s\n", last.Run, strings.Join(last.Failed, "; "))
	}
	return b.String()
}
