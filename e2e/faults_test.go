package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestFaults injects each kind of fault into one single-hop lab with BFD
// (300 ms x 3), measures what the router saw from its own samples, takes
// the fault back and requires the lab fully green again (the oracle on
// every router and kernel, curl from the client and the router) before the
// next one, while the client sends a steady stream of requests. The
// convergence report (JSON and table) goes to the artifacts
// and the test log. A fault on a node must withdraw its next hop from the
// router; the numbers are reported, not timed (see README: Faults).
func TestFaults(t *testing.T) {
	ctx := testContext(t)
	lab := upLab(t, ctx, topologies.SingleHop())
	coreChecks(t, ctx, lab)

	nodes, err := lab.Nodes(ctx)
	require.NoError(t, err)
	var worker string
	for _, n := range nodes {
		if n.Announces && strings.HasPrefix(n.Short(), "worker") {
			worker = n.Short()
			break
		}
	}
	require.NotEmpty(t, worker, "no announcing worker in %v", nodes)

	cases := []scenarios.FaultCase{
		{Fault: harness.Fault{Kind: harness.FaultLink, Target: worker}, Withdraws: true},
		{Fault: harness.Fault{Kind: harness.FaultPause, Target: worker}, Withdraws: true},
		{Fault: harness.Fault{Kind: harness.FaultDropBFD, Target: worker}, Withdraws: true},
		// BGP's hold time (90 s) outlasts the drop, and BFD still runs: the
		// session must ride it out.
		{Fault: harness.Fault{Kind: harness.FaultDropBGP, Target: worker}, Hold: 3 * time.Second},
		{Fault: harness.Fault{Kind: harness.FaultSpeaker, Target: worker}, Withdraws: true},
		{Fault: harness.Fault{Kind: harness.FaultFRR, Target: "edge"}},
		{Fault: harness.Fault{Kind: harness.FaultStop, Target: worker}, Withdraws: true},
	}
	// The client behind edge sends 100 requests per second, each on a new
	// connection, through every fault.
	client := lab.Topology().Clients[0].Name
	var report []scenarios.Convergence
	for _, fc := range cases {
		fc.Probe = client
		t.Run(string(fc.Fault.Kind), func(t *testing.T) {
			c, err := scenarios.MeasureFault(ctx, lab, fc)
			report = append(report, c)
			t.Logf("\n%s", scenarios.ConvergenceTable([]scenarios.Convergence{c}))
			require.NoError(t, err, "fault %s", fc.Fault)
			if fc.Withdraws {
				require.NotNil(t, c.KernelWithdrawnMs, "the router's samples never showed the next hop gone from the kernel")
			}
			require.Positive(t, c.Requests, "the probe sent requests through the fault")
			active, err := lab.ActiveFaults()
			require.NoError(t, err)
			require.Empty(t, active, "faults left in place")
		})
	}
	dir := artifactsDir(t)
	require.NoError(t, scenarios.WriteConvergence(dir, report))
	t.Logf("convergence report (%s/convergence.json):\n%s", dir, scenarios.ConvergenceTable(report))
	assertNoEgress(t, ctx, lab)
}
