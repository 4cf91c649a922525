package harness

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/peerlab/peerlab/topologies"
)

func prepared(t *testing.T, topo topologies.Topology) topologies.Topology {
	t.Helper()
	p, err := topo.Prepare()
	require.NoError(t, err)
	return p
}

// Every builtin router renders to a configuration the routers package
// accepts, with the nodes behind a listen range on the dynamic half.
func TestRouterSpecsOfBuiltins(t *testing.T) {
	for _, name := range topologies.Names() {
		topo, err := topologies.Builtin(name)
		require.NoError(t, err)
		topo = prepared(t, topo)
		for _, r := range topo.Routers {
			s, err := routerSpec(topo, r, testNodes)
			require.NoError(t, err, "%s/%s", name, r.Name)
			require.NoError(t, s.Validate(), "%s/%s", name, r.Name)
			conf, err := s.Render()
			require.NoError(t, err)
			if _, ok := r.NodesPeer(); ok {
				require.Contains(t, conf.FRRConf, "neighbor 172.30.0.130 peer-group nodes", "%s/%s", name, r.Name)
				require.Contains(t, conf.FRRConf, "bfd", "%s/%s", name, r.Name)
			}
		}
	}
	topo := prepared(t, topologies.MultiHop())
	edge, _ := topo.Router("edge")
	s, err := routerSpec(topo, edge, testNodes)
	require.NoError(t, err)
	conf, err := s.Render()
	require.NoError(t, err)
	require.Contains(t, conf.FRRConf, "addpath-tx-all-paths", "edge gives transit every node's path")
	require.Contains(t, conf.FRRConf, "ebgp-multihop", "edge is not on the nodes' network")
}

var testNodes = []Node{
	{Name: "cp", IPv4: netip.MustParseAddr("172.30.0.129")},
	{Name: "w1", IPv4: netip.MustParseAddr("172.30.0.130"), Announces: true},
}

func TestMetalLBResourcesOfSingleHop(t *testing.T) {
	topo := prepared(t, topologies.SingleHop())
	objs := metallbResources(topo)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		require.Equal(t, MetalLBNamespace, o.GetNamespace())
	}
	require.Equal(t, map[string]int{"IPAddressPool": 1, "BFDProfile": 1, "BGPPeer": 1, "BGPAdvertisement": 1}, kinds)
	for _, o := range objs {
		if o.GetKind() != "BGPPeer" {
			continue
		}
		spec := o.Object["spec"].(map[string]any)
		require.Equal(t, "172.30.0.2", spec["peerAddress"])
		require.Equal(t, int64(64512), spec["myASN"])
		require.Equal(t, int64(64513), spec["peerASN"])
		require.Equal(t, "fast", spec["bfdProfile"])
		require.Equal(t, "5s", spec["connectTime"])
	}
}

func TestKindConfigSkipsCoreDNS(t *testing.T) {
	topo := prepared(t, topologies.SingleHop())
	cfg := kindConfig(topo)
	require.Len(t, cfg.Nodes, 3)
	require.Equal(t, v1alpha4.ControlPlaneRole, cfg.Nodes[0].Role)
	require.Equal(t, v1alpha4.IPv4Family, cfg.Networking.IPFamily)
	require.Equal(t, "10.244.0.0/16", cfg.Networking.PodSubnet)
	require.True(t, strings.Contains(cfg.KubeadmConfigPatches[0], "addon/coredns"))
	require.Equal(t, []string{"10.96.0.10"}, clusterDNS(topo.Cluster))
}

func TestNetworkPlanNames(t *testing.T) {
	topo := prepared(t, topologies.MultiHop())
	plan := networkPlan("a1b2c3", topo)
	require.Len(t, plan, 3)
	for _, n := range plan {
		require.LessOrEqual(t, len(n.bridge), 15, "Linux limits interface names to 15 characters")
		require.True(t, strings.HasPrefix(n.name, "peerlab-a1b2c3-"))
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	topo := topologies.SingleHop()
	topo.Routers[0].ASN = 0
	_, err := New(topo)
	require.ErrorContains(t, err, "routers[edge].asn")
	_, err = New(topologies.SingleHop(), WithID("XYZ"))
	require.ErrorContains(t, err, "6 lowercase hex digits")
}
