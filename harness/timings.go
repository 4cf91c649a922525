package harness

import (
	"fmt"
	"strings"
	"time"
)

// PhaseTable renders phase timings as a table (phase, start, duration, and
// a bar placing each phase on Up's time line), for terminals and test logs.
func PhaseTable(ts []PhaseTiming) string {
	var end time.Duration
	for _, t := range ts {
		end = max(end, t.Start+t.Duration)
	}
	const width = 40
	col := func(d time.Duration) int {
		if end <= 0 {
			return 0
		}
		return int(int64(d) * width / int64(end))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %7s %8s\n", "PHASE", "START", "TOOK")
	for _, t := range ts {
		from, to := col(t.Start), col(t.Start+t.Duration)
		bar := strings.Repeat(" ", from) + strings.Repeat("#", max(to-from, 1))
		fmt.Fprintf(&b, "%-28s %6.1fs %7.1fs  |%-*s|\n", t.Phase, t.Start.Seconds(), t.Duration.Seconds(), width, bar)
	}
	return b.String()
}
