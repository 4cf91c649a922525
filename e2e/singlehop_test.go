package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestSingleHop: client -> edge router -> ECMP -> nodes, eBGP with BFD
// between the router and every MetalLB speaker. It also proves the offline
// node image's pod network (pod to pod across nodes, ClusterIP, CoreDNS),
// including after a worker node container restarts.
func TestSingleHop(t *testing.T) {
	ctx := testContext(t)
	lab := upLab(t, ctx, topologies.SingleHop())
	coreChecks(t, ctx, lab)

	require.NoError(t, scenarios.Eventually(ctx, lab, time.Minute, 2*time.Second, scenarios.PodNetwork), "pod network")

	t.Run("pod network survives a node restart", func(t *testing.T) {
		nodes, err := lab.Nodes(ctx)
		require.NoError(t, err)
		var worker string
		for _, n := range nodes {
			if strings.Contains(n.Name, "worker") {
				worker = n.Name
				break
			}
		}
		require.NotEmpty(t, worker, "no worker node in %v", nodes)
		start := time.Now()
		require.NoError(t, lab.RestartNode(ctx, worker))
		require.NoError(t, scenarios.Eventually(ctx, lab, 3*time.Minute, 2*time.Second, scenarios.NodesReady), "nodes Ready after restarting %s", worker)
		require.NoError(t, scenarios.Eventually(ctx, lab, 3*time.Minute, 2*time.Second, scenarios.PodNetwork), "pod network after restarting %s", worker)
		t.Logf("pod network back %s after restarting %s", time.Since(start).Round(100*time.Millisecond), worker)
		require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.SessionsEstablished), "sessions after restarting %s", worker)
	})

	assertNoEgress(t, ctx, lab)
}

// TestBrokenPeer: a router configured with the wrong ASN for the nodes never
// gets a session; the check must fail naming the router, the peers and
// their state, and the dump must be written.
func TestBrokenPeer(t *testing.T) {
	ctx := testContext(t)
	topo := topologies.SingleHop()
	// The router expects the nodes in AS 64999; MetalLB speaks 64512.
	for i := range topo.Routers[0].Peers {
		if topo.Routers[0].Peers[i].Nodes {
			topo.Routers[0].Peers[i].ASN = 64999
		}
	}
	lab := upLab(t, ctx, topo)
	err := scenarios.Eventually(ctx, lab, 30*time.Second, 2*time.Second, scenarios.SessionsEstablished)
	require.Error(t, err, "sessions came up although the router expects AS 64999")
	msg := err.Error()
	t.Logf("the check said: %s", msg)
	require.Contains(t, msg, "router edge", "the error names the router")
	require.Contains(t, msg, "Established", "the error says what was expected")
	nodes, nerr := lab.Nodes(ctx)
	require.NoError(t, nerr)
	require.Contains(t, msg, nodes[0].IPv4.String(), "the error names a peer")

	dir := t.TempDir()
	require.NoError(t, lab.Dump(ctx, dir))
	requireFile(t, dir, "routers/edge")
	requireFile(t, dir, "speakers")
	requireFile(t, dir, "kind")
	assertNoEgress(t, ctx, lab)
}

// TestMultiHop: the BGP router sits on its own network behind a transit
// router; MetalLB peers with it multihop, and the transit router (which gets
// every node's path by add-path) does the ECMP.
func TestMultiHop(t *testing.T) {
	ctx := testContext(t)
	lab := upLab(t, ctx, topologies.MultiHop())
	coreChecks(t, ctx, lab)
	assertNoEgress(t, ctx, lab)
}

func requireFile(t *testing.T, dir, rel string) {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, rel))
	require.NoError(t, err, "dump should contain %s", rel)
}
