package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestL2: the l2 example (single-hop plus a pool announced in L2 mode and a
// neighbor on the nodes' segment), in the lane's family. The BGP side
// passes the core checks; each of the L2 service's addresses (one per
// family) is answered for by exactly the node MetalLB names, as every
// neighbor on the segment sees it (ARP for IPv4, NDP for IPv6), and curl
// reaches it from the neighbor, from edge and from the client behind edge.
// Then the owner node stops: another node must take over, with the
// takeover of each address measured from the neighbor (ARP or NDP, curl,
// MetalLB's status, gratuitous announcements), and once the node is back
// the lab must be green again.
func TestL2(t *testing.T) {
	ctx := testContext(t)
	topo, err := topologies.Load("../topologies/examples/l2.yaml")
	require.NoError(t, err)
	lab := upLab(t, ctx, inFamily(t, topo))
	coreChecks(t, ctx, lab)

	green := scenarios.All(scenarios.L2Announced, scenarios.Converged(), scenarios.ReachableEverywhere(10))
	require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, green), "L2 announced, routes converged, curl from every vantage")
	facts, err := scenarios.L2Facts(ctx, lab)
	require.NoError(t, err)
	families := map[topologies.IPFamily]bool{}
	for _, f := range facts {
		families[topologies.FamilyOf(f.IP)] = true
		t.Logf("L2: service %s (%s) owned by %s; %s answers by neighbor: %v", f.Service, f.IP, f.Owner, harness.L2Protocol(f.IP), f.Answers)
	}
	for _, f := range labFamily(t).Families() {
		require.True(t, families[f], "an L2 address in %s (facts: %+v)", f, facts)
	}

	tks, err := scenarios.MeasureL2Takeover(ctx, lab, "web", "neighbor", 90*time.Second)
	for _, tk := range tks {
		t.Logf("takeover: %s", tk)
	}
	require.NoError(t, err, "takeover of web's addresses")
	require.Len(t, tks, len(labFamily(t).Families()), "one takeover per family")
	for _, tk := range tks {
		require.NotEqual(t, tk.From, tk.To, "%s moved to another node", tk.IP)
		require.Positive(t, tk.Gratuitous, "the new owner announced %s by gratuitous %s", tk.IP, tk.Protocol)
	}
	dir := artifactsDir(t)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	b, err := json.MarshalIndent(tks, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "l2-takeover.json"), b, 0o644))

	// The stopped node is back: sessions, BFD, routes, the L2 owner and
	// curl from everywhere, all green again.
	require.NoError(t, scenarios.Eventually(ctx, lab, 3*time.Minute, 2*time.Second, scenarios.NodesReady), "nodes Ready after the takeover")
	require.NoError(t, scenarios.Eventually(ctx, lab, 3*time.Minute, time.Second, scenarios.All(scenarios.SessionsEstablished, scenarios.BFDUp, green)), "green again after the node came back")
	assertNoEgress(t, ctx, lab)
}
