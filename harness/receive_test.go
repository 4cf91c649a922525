package harness

import (
	"net/netip"
	"testing"
	"time"

	frrk8sv1beta1 "github.com/metallb/frr-k8s/api/v1beta1"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/peerlab/peerlab/topologies"
)

// The receive-routes example rendered for each backend: FRR mode's
// bgpextras lets in exactly the peer's prefixes of each session's family
// by replacing MetalLB's "deny 20"; frr-k8s's FRRConfiguration repeats the
// neighbor's settings (or frr-k8s would refuse to merge it) and selects the
// peer's nodes. Edge's router spec originates every prefix of the family.
func TestReceiveRendering(t *testing.T) {
	topo, err := topologies.Load("../topologies/examples/receive-routes.yaml")
	require.NoError(t, err)
	topo, err = topo.ForFamily(topologies.DualStack)
	require.NoError(t, err)
	topo = prepared(t, topo)
	plan := NewPlan(topo, testNodes)

	s, err := routerSpec(plan, "edge")
	require.NoError(t, err)
	require.Len(t, s.Originate, 4)

	cm, err := bgpExtras(plan)
	require.NoError(t, err)
	require.NotNil(t, cm)
	require.Equal(t, "ConfigMap", cm.GetKind())
	require.Equal(t, "true", cm.GetLabels()[LabelManaged])
	extras := cm.Object["data"].(map[string]any)[bgpExtrasKey].(string)
	require.Equal(t, "ip prefix-list peerlab-edge-172-30-0-2-in seq 5 permit 172.31.0.0/24\n"+
		"route-map 172.30.0.2-in permit 10\n  match ip address prefix-list peerlab-edge-172-30-0-2-in\nexit\n"+
		"ipv6 prefix-list peerlab-edge-fd00-30--2-in seq 5 permit fd00:31::/64\n"+
		"route-map fd00:30::2-in permit 10\n  match ipv6 address prefix-list peerlab-edge-fd00-30--2-in\nexit\n", extras)

	fcs, err := receiveConfigurations(plan)
	require.NoError(t, err)
	require.Len(t, fcs, 2)
	var fc frrk8sv1beta1.FRRConfiguration
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(fcs[0].Object, &fc))
	r := fc.Spec.BGP.Routers[0]
	require.Equal(t, topo.MetalLB.ASN, r.ASN)
	n := r.Neighbors[0]
	require.Equal(t, "172.30.0.2", n.Address)
	require.Equal(t, uint32(64513), n.ASN)
	require.Equal(t, topologies.DefaultConnectTime, n.ConnectTime.Duration, "the speaker's connect time, or frr-k8s refuses the merge")
	require.Equal(t, []frrk8sv1beta1.PrefixSelector{{Prefix: "172.31.0.0/24"}}, n.ToReceive.Allowed.Prefixes)
	require.Equal(t, []string{"control-plane", "worker", "worker2"}, fc.Spec.NodeSelector.MatchExpressions[0].Values)

	// What each session receives, as the check expects it.
	for _, pp := range plan.Peers {
		require.True(t, pp.Receives(netip.MustParsePrefix(map[bool]string{true: "172.31.0.0/24", false: "fd00:31::/64"}[pp.Address.Is4()])), pp.Name)
		require.False(t, pp.Receives(netip.MustParsePrefix("10.99.0.0/24")), pp.Name)
		require.False(t, pp.Receives(netip.MustParsePrefix("172.31.0.0/25")), "%s: without le, only the prefix itself", pp.Name)
	}

	// A lone hold time: the keepalive MetalLB derives for the speaker's
	// own configuration, unrounded, or frr-k8s refuses to merge.
	h, k := metallbTimers(10*time.Second, 0)
	require.Equal(t, 10*time.Second, h)
	require.Equal(t, 10*time.Second/3, k)

	// No peer receives: nothing rendered.
	plain := prepared(t, topologies.SingleHop())
	cm, err = bgpExtras(NewPlan(plain, testNodes))
	require.NoError(t, err)
	require.Nil(t, cm)
}
