package e2e

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
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
	lab := sharedLab(t, ctx, inFamily(t, topologies.SingleHop()))
	coreChecks(t, ctx, lab)

	nodes, err := lab.Nodes(ctx)
	require.NoError(t, err)
	var worker, workerNode string
	for _, n := range nodes {
		if n.Announces && strings.HasPrefix(n.Short(), "worker") {
			worker, workerNode = n.Short(), n.Name
			break
		}
	}
	require.NotEmpty(t, worker, "no announcing worker in %v", nodes)

	// The client behind edge sends 100 requests per second, each on a new
	// connection, through every fault (a restart of the client itself
	// included: the probe starts after it).
	client := lab.Topology().Clients[0].Name
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
		// Live misconfigurations of edge: every node next hop goes.
		{Fault: harness.Fault{Kind: harness.FaultWrongASN, Target: "edge"}, Withdraws: true},
		{Fault: harness.Fault{Kind: harness.FaultMD5, Target: "edge"}, Withdraws: true},
		{Fault: harness.Fault{Kind: harness.FaultRestart, Target: client}},
	}
	var report []scenarios.Convergence
	for _, fc := range cases {
		if fc.Fault.Target != client {
			fc.Probe = client
		}
		t.Run(string(fc.Fault.Kind), func(t *testing.T) {
			var restarts map[string]int32
			if fc.Fault.Kind == harness.FaultStop {
				r, err := lab.SpeakerRestarts(ctx, workerNode)
				require.NoError(t, err)
				restarts = r
			}
			c, err := scenarios.MeasureFault(ctx, lab, fc)
			report = append(report, c)
			t.Logf("\n%s", scenarios.ConvergenceTable([]scenarios.Convergence{c}))
			require.NoError(t, err, "fault %s", fc.Fault)
			if fc.Withdraws {
				require.NotNil(t, c.KernelWithdrawnMs, "the router's samples never showed the next hop gone from the kernel")
			}
			if fc.Probe != "" {
				require.Positive(t, c.Requests, "the probe sent requests through the fault")
			}
			active, err := lab.ActiveFaults()
			require.NoError(t, err)
			require.Empty(t, active, "faults left in place")
			if restarts != nil {
				// The node's restart restarts each speaker container once;
				// a second is a crash after it (stale FRR pid files made
				// watchfrr kill the speaker: see routers.FreshPidFiles).
				after, err := lab.SpeakerRestarts(ctx, workerNode)
				require.NoError(t, err)
				for name, n := range after {
					assert.Equal(t, restarts[name]+1, n, "restarts of speaker container %s on %s across the node's restart", name, worker)
				}
			}
		})
	}
	// The same link fault with externalTrafficPolicy Local: only nodes with
	// a backend announce, and each forwards to its own pods only, so no
	// request should fail once the next hop is gone.
	t.Run("link-etp-local", func(t *testing.T) {
		local := inFamily(t, topologies.SingleHop())
		for i := range local.Services {
			local.Services[i].ExternalTrafficPolicy = topologies.ETPLocal
		}
		_, err := lab.Apply(ctx, local)
		require.NoError(t, err)
		require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.All(scenarios.Converged(), scenarios.ReachableEverywhere(10))), "green with ETP Local")
		target := announcingWorker(t, ctx, lab)
		c, err := scenarios.MeasureFault(ctx, lab, scenarios.FaultCase{Fault: harness.Fault{Kind: harness.FaultLink, Target: target}, Withdraws: true, Probe: client})
		c.Fault += " (ETP Local)"
		report = append(report, c)
		t.Logf("\n%s", scenarios.ConvergenceTable([]scenarios.Convergence{c}))
		require.NoError(t, err)
		_, err = lab.Apply(ctx, inFamily(t, topologies.SingleHop()))
		require.NoError(t, err, "back to ETP Cluster")
		require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.Converged()), "green after going back")
	})
	dir := artifactsDir(t)
	require.NoError(t, scenarios.WriteConvergence(dir, report))
	t.Logf("convergence report (%s/convergence.json):\n%s", dir, scenarios.ConvergenceTable(report))
	assertNoEgress(t, ctx, lab)
}

// announcingWorker is a worker whose address is a next hop of edge's route
// to the first service.
func announcingWorker(t *testing.T, ctx context.Context, lab *harness.Lab) string {
	t.Helper()
	svc := lab.Topology().Services[0].Name
	ips, err := lab.ServiceIPs(ctx, svc)
	require.NoError(t, err)
	require.NotEmpty(t, ips, "service %s has no address", svc)
	e, err := lab.Exec("edge")
	require.NoError(t, err)
	rs, err := routers.NewQuerier(e).KernelRoute(ctx, netip.PrefixFrom(ips[0], ips[0].BitLen()))
	require.NoError(t, err)
	nodes, err := lab.Nodes(ctx)
	require.NoError(t, err)
	for _, r := range rs {
		for _, gw := range r.Gateways() {
			for _, n := range nodes {
				if n.IPv4 == gw && strings.HasPrefix(n.Short(), "worker") {
					return n.Short()
				}
			}
		}
	}
	t.Fatalf("no worker among edge's next hops for %s: %v", ips[0], rs)
	return ""
}
