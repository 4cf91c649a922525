package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestSingleHop: client -> edge router -> ECMP -> nodes, eBGP with BFD
// between the router and every MetalLB speaker. It also proves the offline
// node image's pod network (pod to pod across nodes, ClusterIP, CoreDNS),
// including after a worker node container restarts.
func TestSingleHop(t *testing.T) {
	ctx := testContext(t)
	lab := sharedLab(t, ctx, inFamily(t, topologies.SingleHop()))
	coreChecks(t, ctx, lab)

	require.NoError(t, scenarios.Eventually(ctx, lab, time.Minute, 2*time.Second, scenarios.PodNetwork), "pod network")

	t.Run("apply the communities example to the running lab", func(t *testing.T) {
		if !lab.Backend().LargeCommunities() {
			t.Skipf("the example sends a large community, which the %s backend refuses", lab.Backend())
		}
		topo, err := topologies.Load("../topologies/examples/communities.yaml")
		require.NoError(t, err)
		rep, err := lab.Apply(ctx, inFamily(t, topo))
		require.NoError(t, err)
		t.Logf("applied in %s, pruned %v", rep.Duration.Round(100*time.Millisecond), rep.Pruned)
		require.NoError(t, scenarios.Eventually(ctx, lab, 90*time.Second, time.Second, scenarios.Converged()), "the oracle with the example's communities")
		// What 'peerlab status' shows: edge's BGP table carries them.
		e, err := lab.Exec("edge")
		require.NoError(t, err)
		for _, fam := range routerFamilies(t) {
			routes, err := routers.NewQuerier(e).BGPRoutes(ctx, fam)
			require.NoError(t, err)
			var tagged int
			for _, r := range routes {
				for _, p := range r.Paths {
					if p.HasCommunity("64512:100") && p.HasCommunity("no-advertise") && p.HasLargeCommunity("64512:1:2") && !p.HasLocalPref {
						tagged++
					}
				}
			}
			require.Positive(t, tagged, "edge should hold the IPv%d service route with 64512:100, no-advertise and 64512:1:2 (and no localPref over eBGP): %+v", fam, routes)
		}
		_, err = lab.Apply(ctx, inFamily(t, topologies.SingleHop()))
		require.NoError(t, err, "back to single-hop")
		require.NoError(t, scenarios.Eventually(ctx, lab, 90*time.Second, time.Second, scenarios.Converged()), "the oracle after going back")
	})

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

// TestBrokenPeer: a router whose idea of the nodes' ASN is wrong. Written
// into the topology, validation refuses it before anything starts, naming
// the field. Applied to a running router (live reload), its sessions drop;
// the check must then fail naming the router, the peers and their state,
// and the dump must hold the evidence.
func TestBrokenPeer(t *testing.T) {
	ctx := testContext(t)
	broken := topologies.SingleHop()
	broken.Routers[0].Peers[0].ASN = 64999
	_, err := harness.New(broken)
	require.ErrorContains(t, err, "routers[edge].peers[0].asn: 64999, but metallb.asn is 64512")

	lab := sharedLab(t, ctx, inFamily(t, topologies.SingleHop()))
	require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.SessionsEstablished), "sessions before the break")
	edge, ok := lab.FRR("edge")
	require.True(t, ok)
	good := edge.Spec()
	spec := edge.Spec()
	require.NotEmpty(t, spec.PeerGroups)
	spec.PeerGroups[0].RemoteASN = 64999
	require.NoError(t, edge.Apply(ctx, spec), "apply the wrong ASN to the running router")

	// The check must keep failing: poll for the failure, then make sure it
	// is not a passing moment.
	var msg string
	require.NoError(t, wait.Until(ctx, time.Minute, time.Second, func(ctx context.Context) error {
		err := scenarios.SessionsEstablished(ctx, lab)
		if err == nil {
			return errors.New("sessions still Established after the router was given AS 64999 for the nodes")
		}
		msg = err.Error()
		return nil
	}))
	t.Logf("the check said: %s", msg)
	require.Contains(t, msg, "router edge", "the error names the router")
	require.Contains(t, msg, "want Established", "the error says what was expected")
	nodes, err := lab.Nodes(ctx)
	require.NoError(t, err)
	require.Contains(t, msg, nodes[0].IPv4.String(), "the error names a peer")

	// The diagnosis names the cause on both ends, with both ASNs.
	requireDiagnosis(t, ctx, lab, routers.CauseBadPeerAS, "router edge", "remote-as 64999", "speaker on", "remote-as 64513")

	dir := t.TempDir()
	require.NoError(t, lab.Dump(ctx, dir))
	requireFile(t, dir, "routers/edge")
	requireFile(t, dir, "speakers")
	requireFile(t, dir, "kind")
	requireFile(t, dir, "kubernetes/metallb-bgppeers.yaml")
	requireFile(t, dir, "pcap/edge.pcap")
	diag, err := os.ReadFile(filepath.Join(dir, "routers/edge/diagnosis.txt"))
	require.NoError(t, err)
	// The router's own view: the nodes' OPENs are refused, with its ASNs.
	require.Contains(t, string(diag), string(routers.CauseOpenRefused), "the dump's diagnosis")
	require.Contains(t, string(diag), "remote-as 64999", "the dump's diagnosis")

	// An MD5 mismatch sends no NOTIFICATION: the kernel's counters tell.
	spec.PeerGroups[0].RemoteASN = 64512
	spec.PeerGroups[0].Password = "not-the-nodes-password"
	require.NoError(t, edge.Apply(ctx, spec), "apply a password the nodes do not have")
	requireDiagnosis(t, ctx, lab, routers.CauseMD5, "router edge", "MD5 signature")

	// A neighbor at an address where nothing answers.
	spec.PeerGroups[0].Password = ""
	ghost := netip.MustParseAddr("172.30.0.99")
	spec.Neighbors = append(spec.Neighbors, routers.Neighbor{Address: ghost, PeerSettings: routers.PeerSettings{RemoteASN: 64512, AddressFamilies: []routers.AddressFamily{routers.IPv4Unicast}}})
	require.NoError(t, edge.Apply(ctx, spec), "add a neighbor nobody is at")
	var ds []routers.Diagnosis
	require.NoError(t, wait.Until(ctx, time.Minute, time.Second, func(ctx context.Context) error {
		e, err := lab.Exec("edge")
		if err != nil {
			return err
		}
		ds, err = routers.NewQuerier(e).Diagnose(ctx, ghost)
		if err != nil {
			return err
		}
		if len(ds) != 1 || ds[0].Cause != routers.CauseNoAnswer {
			return fmt.Errorf("diagnosis of %s: %v, want %q", ghost, ds, routers.CauseNoAnswer)
		}
		return nil
	}))
	t.Logf("diagnosis: %s", ds[0])

	// The lab is shared: edge goes back to its own configuration, and the
	// lab must be green again (sessions, BFD, routes) before the next test.
	require.NoError(t, edge.Apply(ctx, good), "give edge its configuration back")
	require.NoError(t, scenarios.Eventually(ctx, lab, 2*time.Minute, time.Second, scenarios.Converged()), "green again after the repair")
	assertNoEgress(t, ctx, lab)
}

// requireDiagnosis waits until scenarios.Diagnose gives the cause and the
// explanations carry each of the substrings.
func requireDiagnosis(t *testing.T, ctx context.Context, lab *harness.Lab, cause routers.Cause, substrings ...string) {
	t.Helper()
	var text string
	err := wait.Until(ctx, time.Minute, time.Second, func(ctx context.Context) error {
		ds, err := scenarios.Diagnose(ctx, lab)
		if err != nil {
			return err
		}
		text = scenarios.DiagnosisText(ds)
		found := false
		for _, d := range ds {
			found = found || d.Cause == cause
		}
		if !found {
			return fmt.Errorf("no %q among: %s", cause, text)
		}
		// Each end comes to its evidence in its own time (a router sees
		// the refused OPENs only at the peer's next attempt).
		for _, s := range substrings {
			if !strings.Contains(text, s) {
				return fmt.Errorf("no %q in: %s", s, text)
			}
		}
		return nil
	})
	require.NoError(t, err)
	t.Logf("diagnosis:\n%s", text)
}

func requireFile(t *testing.T, dir, rel string) {
	t.Helper()
	_, err := os.Stat(filepath.Join(dir, rel))
	require.NoError(t, err, "dump should contain %s", rel)
}
