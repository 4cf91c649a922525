package e2e

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestReceiveRoutes: nodes that learn routes from their router. The
// receive-routes example gives the nodes no static route back to the
// client; edge announces the client network and a second prefix, and the
// MetalLB peer receives only the client network (FRR mode: bgpextras;
// frr-k8s: an FRRConfiguration). Every node's kernel must hold the client
// network via edge and not the other prefix (MetalLB's default deny), and
// the client's curl must be answered over the learned return path with
// nothing leaving the lab.
func TestReceiveRoutes(t *testing.T) {
	ctx := testContext(t)
	if !labBackend(t).ReceiveRoutes() {
		t.Skipf("the %s backend cannot install received routes", labBackend(t))
	}
	topo, err := topologies.Load("../topologies/examples/receive-routes.yaml")
	require.NoError(t, err)
	require.Empty(t, topo.Cluster.Routes, "the example must rely on learned routes alone")
	lab := upLab(t, ctx, inFamily(t, topo))
	require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.ReceivedRoutes),
		"every node: the client network via edge, not the prefix no receive entry lets in")
	coreChecks(t, ctx, lab)
	require.NoError(t, scenarios.ReceivedRoutes(ctx, lab), "received routes after the core checks")

	// On the running lab: let the denied prefix in too, then take it back.
	// FRR mode rewrites bgpextras and restarts the speakers; frr-k8s
	// updates the FRRConfiguration. Each time every node's kernel follows.
	wider := topo.Clone()
	wider.MetalLB.Peers[0].Receive = append(wider.MetalLB.Peers[0].Receive,
		topologies.ReceivePrefix{Prefix: netip.MustParsePrefix("10.99.0.0/16"), LE: 24},
		topologies.ReceivePrefix{Prefix: netip.MustParsePrefix("fd00:99::/64")})
	for _, step := range []struct {
		name string
		topo topologies.Topology
	}{{"receive 10.99.0.0/16 le 24 too", wider}, {"back to the client network only", topo}} {
		start := time.Now()
		rep, err := lab.Apply(ctx, inFamily(t, step.topo))
		require.NoError(t, err, step.name)
		require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.All(scenarios.ReceivedRoutes, scenarios.SessionsEstablished)), step.name)
		t.Logf("%s: applied in %s, every node's kernel as expected %s after the apply began", step.name, rep.Duration.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
	}
	require.NoError(t, scenarios.Eventually(ctx, lab, time.Minute, time.Second, scenarios.ECMPNextHops), "ECMP after the applies")
	assertNoEgress(t, ctx, lab)
}
