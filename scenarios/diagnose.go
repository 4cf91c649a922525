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

// SessionDiagnosis is one session that is not Established, explained from
// one end.
type SessionDiagnosis struct {
	// Where is the end: "router edge" or "speaker on worker".
	Where string
	routers.Diagnosis
}

func (d SessionDiagnosis) String() string { return d.Where + ": " + d.Diagnosis.String() }

// Diagnose explains every session the plan expects that is not Established,
// on both ends (routers and speakers), from FRR's fields and the kernel's
// routes, ARP/ND and TCP MD5 counters. An empty list means every expected
// session is up.
func Diagnose(ctx context.Context, lab *harness.Lab) ([]SessionDiagnosis, error) {
	p, err := lab.Plan(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu  sync.Mutex
		out []SessionDiagnosis
	)
	add := func(where string, ds []routers.Diagnosis) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			out = append(out, SessionDiagnosis{Where: where, Diagnosis: d})
		}
	}
	errR := onRouters(ctx, lab, p, func(harness.RouterPlan) bool { return true }, func(rp harness.RouterPlan, q *routers.Querier) error {
		want := append(rp.NodeAddrs(), rp.RouterSessions...)
		if len(want) == 0 {
			return nil
		}
		ds, err := q.Diagnose(ctx, want...)
		add("router "+rp.Router.Name, ds)
		return err
	})
	errS := onSpeakers(ctx, lab, p, func(n harness.Node, q *routers.Querier) error {
		want := addrsOf(p.SpeakerPeers(n.Short()))
		if len(want) == 0 {
			return nil
		}
		ds, err := q.Diagnose(ctx, want...)
		add("speaker on "+n.Short(), ds)
		return err
	})
	slices.SortFunc(out, func(a, b SessionDiagnosis) int {
		if c := strings.Compare(a.Where, b.Where); c != 0 {
			return c
		}
		return a.Neighbor.Compare(b.Neighbor)
	})
	return out, errors.Join(errR, errS)
}

// DiagnosisText renders diagnoses one per line ("every expected session is
// Established" when there are none).
func DiagnosisText(ds []SessionDiagnosis) string {
	if len(ds) == 0 {
		return "every expected BGP session is Established\n"
	}
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintln(&b, d)
	}
	return b.String()
}
