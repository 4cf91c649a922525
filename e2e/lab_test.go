package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// upLab brings up a lab for the test and registers its teardown. On test
// failure the lab is dumped under the artifacts directory before it goes.
// After a passing test, the egress guard must have dropped nothing.
func upLab(t *testing.T, ctx context.Context, topo topologies.Topology, opts ...harness.Option) *harness.Lab {
	t.Helper()
	kit, err := newKit()
	require.NoError(t, err)
	opts = append([]harness.Option{harness.WithImages(kit), harness.WithOutput(testWriter{t}), harness.WithFreeSubnets()}, opts...)
	lab, err := harness.New(topo, opts...)
	require.NoError(t, err, "topology %s", topo.Name)
	t.Cleanup(func() {
		// Cleanup runs after the test body: ctx may be done, use a fresh one.
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if t.Failed() {
			dir := artifactsDir(t)
			if err := lab.Dump(cctx, dir); err != nil {
				t.Logf("dump: %v", err)
			}
			t.Logf("artifacts of the failed lab: %s", dir)
		}
		if err := lab.Down(cctx); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	start := time.Now()
	err = lab.Up(ctx)
	t.Logf("phases of lab %s:\n%s", lab.ID(), harness.PhaseTable(lab.Timings()))
	require.NoError(t, err, "lab up")
	t.Logf("lab %s up in %s", lab.ID(), time.Since(start).Round(time.Second))
	return lab
}

// assertNoEgress fails the test when the guard dropped anything: lab
// traffic tried to leave the lab.
func assertNoEgress(t *testing.T, ctx context.Context, lab *harness.Lab) {
	t.Helper()
	v4, v6, err := lab.EgressDrops(ctx)
	require.NoError(t, err)
	require.Zerof(t, v4+v6, "egress guard dropped %d IPv4 and %d IPv6 packets: lab traffic tried to leave the lab:\n%s", v4, v6, lab.EgressLeaks(ctx))
}

// coreChecks runs the four checks of a healthy lab, each as a wait with a
// deadline, and reports when each went green.
func coreChecks(t *testing.T, ctx context.Context, lab *harness.Lab) {
	t.Helper()
	start := time.Now()
	steps := []struct {
		name  string
		check scenarios.Check
		// skip says why the check does not apply to the lab's backend.
		skip string
	}{
		{"BGP sessions Established (routers and speakers)", scenarios.SessionsEstablished, ""},
		{"BFD peers up with the profile's timers", scenarios.BFDUp, unless(lab.Backend().BFD(), "has no BFD")},
		{"ECMP: one next hop per announcing node (RIB and kernel)", scenarios.ECMPNextHops, ""},
		{"one LoadBalancer address per cluster family", scenarios.ServiceFamilies, ""},
		{"the backend's status resources (BGPSessionState) agree", scenarios.BackendSessions, unless(lab.Backend() == topologies.BackendFRRK8s, "publishes no session status")},
		{"the backend's node status (FRRNodeState): reloaded, the plan's neighbors", scenarios.BackendNodeStates, unless(lab.Backend() == topologies.BackendFRRK8s, "publishes no node status")},
	}
	// When each check first passed, side by side, as a report (the lab-up
	// side of the convergence report) in the test's artifacts.
	up, err := scenarios.MeasureUp(ctx, lab, start, 2*time.Minute)
	t.Logf("lab-up convergence (since Up returned):\n%s", up.Table())
	if werr := up.Write(artifactsDir(t)); werr != nil {
		t.Logf("up-convergence.json: %v", werr)
	}
	require.NoError(t, err, "the lab never went green")
	for _, s := range steps {
		if s.skip != "" {
			t.Logf("%s: skipped, the %s backend %s", s.name, lab.Backend(), s.skip)
			continue
		}
		err := scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, s.check)
		require.NoError(t, err, s.name)
	}
	// Green once must stay green: no check fails and no session drops on
	// either end for the hold (the no-flap rule, and the hold, the
	// scenario steps use too; it was 10 s, which six labs of the default
	// set paid for twice over).
	stable := scenarios.All(scenarios.SessionsEstablished, scenarios.BFDUp, scenarios.ECMPNextHops)
	require.NoError(t, scenarios.HoldGreen(ctx, lab, greenHold, stable), "no flap for %s after the first green", greenHold)
	t.Logf("sessions, BFD and ECMP held green for %s with no session drop: %s after the lab was up", greenHold, time.Since(start).Round(100*time.Millisecond))
	for _, c := range lab.Topology().Clients {
		var spread scenarios.Spread
		err := scenarios.Eventually(ctx, lab, time.Minute, time.Second, func(ctx context.Context, lab *harness.Lab) error {
			var err error
			spread, err = scenarios.Reachable(ctx, lab, c.Name, 30)
			return err
		})
		require.NoError(t, err, "curl from %s to the services", c.Name)
		t.Logf("curl from %s: %s (first success %s after the lab was up)", c.Name, spread, time.Since(start).Round(100*time.Millisecond))
		// The spread per address (so per family in a dual-stack lab).
		for _, svc := range lab.Topology().Services {
			ips, err := lab.ServiceIPs(ctx, svc.Name)
			require.NoError(t, err)
			for _, ip := range ips {
				s, err := scenarios.Curl(ctx, lab, c.Name, ip, svc.Port, 20)
				require.NoError(t, err)
				require.Equal(t, s.Requests, s.OK, "curl from %s to %s (%s): %s; failures: %v", c.Name, svc.Name, ip, s, s.Failures)
				t.Logf("curl from %s to %s (IPv%d %s): %s", c.Name, svc.Name, map[bool]int{true: 6, false: 4}[ip.Is6()], ip, s)
			}
		}
	}
}

// greenHold is how long a lab must stay green, with no session drop on
// either end, once its checks first pass.
const greenHold = 5 * time.Second

// unless is why when the condition does not hold, else "".
func unless(cond bool, why string) string {
	if cond {
		return ""
	}
	return why
}

// testWriter sends lab progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && p[len(p)-1] == '\n' {
		p = p[:len(p)-1]
	}
	return p
}

// testContext bounds a test by its deadline (go test -timeout) less a margin
// for cleanup, and ends it on SIGINT or SIGTERM (see interrupted).
func testContext(t *testing.T) context.Context {
	ctx := interrupted
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-6*time.Minute))
		t.Cleanup(cancel)
	}
	return ctx
}
