package e2e

import (
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
	assertNoEgress(t, ctx, lab)
}
