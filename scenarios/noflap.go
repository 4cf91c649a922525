package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
)

// FlapSnapshot holds every session's drop counters at one moment, on both
// ends: BGP's dropped-connections counter and BFD's session-down counter,
// per router and per speaker.
type FlapSnapshot struct {
	bgp map[string]int // "router ebgp: BGP 172.30.0.130" -> connections dropped
	bfd map[string]int // "speaker on worker: BFD 172.30.0.2" -> session-down events
}

// TakeFlapSnapshot reads the counters of every router and speaker.
func TakeFlapSnapshot(ctx context.Context, lab *harness.Lab) (*FlapSnapshot, error) {
	p, err := lab.Plan(ctx)
	if err != nil {
		return nil, err
	}
	s := &FlapSnapshot{bgp: map[string]int{}, bfd: map[string]int{}}
	var mu sync.Mutex // routers and speakers are read at once
	read := func(where string, q *routers.Querier) error {
		ns, err := q.Neighbors(ctx)
		if err != nil {
			return err
		}
		cs, err := q.BFDCounters(ctx)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, n := range ns {
			s.bgp[fmt.Sprintf("%s: BGP session with %s", where, n.Address)] = n.ConnectionsDropped
		}
		for _, c := range cs {
			s.bfd[fmt.Sprintf("%s: BFD session with %s", where, c.Peer)] = int(c.SessionDown)
		}
		return nil
	}
	errR := onRouters(ctx, lab, p, func(harness.RouterPlan) bool { return true }, func(rp harness.RouterPlan, q *routers.Querier) error {
		return read("router "+rp.Router.Name, q)
	})
	errS := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		return read("speaker on "+n.Short(), q)
	})
	return s, errors.Join(errR, errS)
}

// NoFlapSince compares the counters now with the snapshot and lists every
// session that dropped (or went away) in between.
func (s *FlapSnapshot) NoFlapSince(ctx context.Context, lab *harness.Lab) error {
	now, err := TakeFlapSnapshot(ctx, lab)
	if err != nil {
		return err
	}
	var flaps []string
	diff := func(before, after map[string]int, what string) {
		for k, v := range before {
			a, ok := after[k]
			switch {
			case !ok:
				flaps = append(flaps, fmt.Sprintf("%s: gone", k))
			case a > v:
				flaps = append(flaps, fmt.Sprintf("%s: %s %d -> %d", k, what, v, a))
			case a < v:
				// A counter that went backwards was reset: the session was
				// deleted and made again.
				flaps = append(flaps, fmt.Sprintf("%s: %s reset (%d -> %d), the session was re-created", k, what, v, a))
			}
		}
	}
	diff(s.bgp, now.bgp, "connections dropped")
	diff(s.bfd, now.bfd, "session-down events")
	if len(flaps) == 0 {
		return nil
	}
	slices.Sort(flaps)
	return fmt.Errorf("sessions flapped after the lab was green:\n  %s", strings.Join(flaps, "\n  "))
}
