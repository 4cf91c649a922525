package scenarios

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

var (
	cp = netip.MustParseAddr("172.30.0.128")
	w1 = netip.MustParseAddr("172.30.0.129")
	w2 = netip.MustParseAddr("172.30.0.130")
	// transit's address on core: the multi-hop routers' gateway to the nodes.
	transitCore = netip.MustParseAddr("172.29.0.2")
	svcIP       = netip.MustParseAddr("10.250.0.3")
	host        = netip.MustParsePrefix("10.250.0.3/32")
)

func testNodes() []harness.Node {
	return []harness.Node{
		harness.MakeNode("peerlab-a1b2c3-control-plane", "control-plane", cp, netip.Addr{}, false),
		harness.MakeNode("peerlab-a1b2c3-worker", "worker", w1, netip.Addr{}, true),
		harness.MakeNode("peerlab-a1b2c3-worker2", "worker2", w2, netip.Addr{}, true),
	}
}

// expect runs the oracle on the reference topology (changed by edit) with
// the backend service on svcIP and backends on the given nodes.
func expect(t *testing.T, edit func(*topologies.Topology), backends ...string) *Expectation {
	t.Helper()
	topo := topologies.Reference()
	if edit != nil {
		edit(&topo)
	}
	p, err := topo.Prepare()
	require.NoError(t, err)
	b := map[string]bool{}
	for _, n := range backends {
		b[n] = true
	}
	facts := map[string]ServiceFacts{topologies.DefaultServiceName: {IPs: []netip.Addr{svcIP}, Backends: b}}
	return NewExpectation(harness.NewPlan(p, testNodes()), facts)
}

func route(t *testing.T, e *Expectation, router string, prefix netip.Prefix) ExpectedRoute {
	t.Helper()
	for _, r := range e.Routers[router].Routes {
		if r.Prefix == prefix {
			return r
		}
	}
	t.Fatalf("router %s: no expected route %s; have %+v", router, prefix, e.Routers[router].Routes)
	return ExpectedRoute{}
}

// The reference lab: every peering router hears both workers (never the
// excluded control plane); the multi-hop routers' kernel goes through
// transit; transit hears ebgp-mh's paths by add-path and does ECMP itself.
func TestOracleReference(t *testing.T) {
	e := expect(t, nil, "worker", "worker2")
	require.NoError(t, e.assigned())
	both := []netip.Addr{w1, w2}
	for _, r := range []string{"ebgp", "ibgp"} {
		got := route(t, e, r, host)
		require.Equal(t, both, got.NextHops, r)
		require.Equal(t, both, got.KernelNextHops, r)
		require.True(t, got.CheckAttrs, r)
	}
	for _, r := range []string{"ebgp-mh", "ibgp-mh"} {
		got := route(t, e, r, host)
		require.Equal(t, both, got.NextHops, r)
		require.Equal(t, []netip.Addr{transitCore}, got.KernelNextHops, r)
	}
	tr := route(t, e, "transit", host)
	require.Equal(t, both, tr.NextHops)
	require.Equal(t, both, tr.KernelNextHops)
	require.False(t, tr.OneKernelHop, "add-path gives transit every path: ECMP in its kernel")
	require.False(t, tr.CheckAttrs, "attributes are checked only on routes straight from the speakers")

	// Every router reaches a node, the client through ebgp.
	var names []string
	for _, v := range vantages(e, svcIP) {
		names = append(names, v.name)
	}
	require.ElementsMatch(t, []string{"ebgp", "ibgp", "transit", "ebgp-mh", "ibgp-mh", "client"}, names)

	// The speakers: each worker sends the route to every peer, the control
	// plane to none.
	for _, pp := range e.Plan.Peers {
		n1, _ := e.Plan.Node("worker")
		cpn, _ := e.Plan.Node("control-plane")
		require.Equal(t, []netip.Prefix{host}, e.SpeakerAdvertises(n1, pp), pp.Name)
		require.Empty(t, e.SpeakerAdvertises(cpn, pp), pp.Name)
	}
}

// Communities and localPref: localPref only on the iBGP sessions;
// no-advertise keeps ebgp-mh from passing the route to transit, and the
// multi-hop routers then no longer reach the service (their packets go
// through transit).
func TestOracleCommunities(t *testing.T) {
	e := expect(t, func(t *topologies.Topology) {
		t.MetalLB.Advertisements = []topologies.BGPAdvertisement{{Communities: []string{"64512:100", "no-advertise", "large:64512:1:2"}, LocalPref: 200}}
	}, "worker", "worker2")
	ib := route(t, e, "ibgp", host)
	require.Equal(t, uint32(200), ib.LocalPref)
	require.Equal(t, []string{"64512:100", "no-advertise"}, ib.Communities)
	require.Equal(t, []string{"64512:1:2"}, ib.LargeCommunities)
	require.Zero(t, route(t, e, "ebgp", host).LocalPref)
	require.Equal(t, uint32(200), route(t, e, "ibgp-mh", host).LocalPref)
	require.Empty(t, e.Routers["transit"].Routes, "no-advertise is not passed on")
	var names []string
	for _, v := range vantages(e, svcIP) {
		names = append(names, v.name)
	}
	require.ElementsMatch(t, []string{"ebgp", "ibgp", "client"}, names)
}

// Aggregation, ETP Local and advertisement peers and nodes change prefixes,
// next hops and which routers hear the route.
func TestOracleSelectors(t *testing.T) {
	agg := expect(t, func(t *topologies.Topology) {
		t.MetalLB.Advertisements = []topologies.BGPAdvertisement{{AggregationLength: 30}}
	}, "worker", "worker2")
	route(t, agg, "ebgp", netip.MustParsePrefix("10.250.0.0/30"))

	local := expect(t, func(t *topologies.Topology) {
		t.Services = []topologies.Service{{Name: topologies.DefaultServiceName, ExternalTrafficPolicy: topologies.ETPLocal}}
	}, "worker2")
	require.Equal(t, []netip.Addr{w2}, route(t, local, "ibgp", host).NextHops)

	peers := expect(t, func(t *topologies.Topology) {
		t.MetalLB.Advertisements = []topologies.BGPAdvertisement{{Peers: []string{"ebgp"}, Nodes: []string{"worker"}}}
	}, "worker", "worker2")
	require.Equal(t, []netip.Addr{w1}, route(t, peers, "ebgp", host).NextHops)
	for _, r := range []string{"ibgp", "ebgp-mh", "ibgp-mh", "transit"} {
		require.Empty(t, peers.Routers[r].Routes, r)
	}
}

// Assignments that contradict the topology are problems; an expected
// pending service with no address is not.
func TestOracleAssignments(t *testing.T) {
	topo := topologies.Reference()
	topo.Services = []topologies.Service{
		{Name: "asks", IPs: []netip.Addr{netip.MustParseAddr("10.250.0.7")}},
		{Name: "waits"},
	}
	p, err := topo.Prepare()
	require.NoError(t, err)
	facts := map[string]ServiceFacts{
		"asks":  {IPs: []netip.Addr{netip.MustParseAddr("10.250.0.8")}},
		"waits": {Events: []string{"Warning AllocationFailed: no available IPs"}},
	}
	e := NewExpectation(harness.NewPlan(p, testNodes()), facts, Pending("waits"))
	err = e.assigned()
	require.ErrorContains(t, err, "service asks: got [10.250.0.8], want the requested [10.250.0.7]")
	require.NotContains(t, err.Error(), "waits")

	e = NewExpectation(harness.NewPlan(p, testNodes()), facts)
	require.ErrorContains(t, e.assigned(), "service waits has no LoadBalancer IP (events: Warning AllocationFailed: no available IPs)")
}

// Two advertisements of one pool, the second only from worker2 with another
// community (the random scenario's seed 776932 found this): each node's
// path carries its own communities, not the union.
func TestOraclePerNodeCommunities(t *testing.T) {
	e := expect(t, func(t *topologies.Topology) {
		t.MetalLB.Advertisements = []topologies.BGPAdvertisement{
			{Name: "all", Communities: []string{"64512:200"}},
			{Name: "some", Communities: []string{"no-export"}, Nodes: []string{"worker2"}},
		}
	}, "worker", "worker2")
	r := route(t, e, "ebgp", host)
	require.Equal(t, []string{"64512:200"}, r.Paths[w1].Communities)
	require.Equal(t, []string{"64512:200", "no-export"}, r.Paths[w2].Communities)
}

// The native speaker puts LOCAL_PREF 0 in its iBGP UPDATEs when no
// advertisement sets one (FRR sends none): the oracle wants 0 on the iBGP
// routers' paths then, and nothing on the eBGP ones.
func TestOracleNativeLocalPref(t *testing.T) {
	topo, err := topologies.Reference().ForBackend(topologies.BackendNative)
	require.NoError(t, err)
	p, err := topo.Prepare()
	require.NoError(t, err)
	facts := map[string]ServiceFacts{topologies.DefaultServiceName: {IPs: []netip.Addr{svcIP}, Backends: map[string]bool{"worker": true, "worker2": true}}}
	e := NewExpectation(harness.NewPlan(p, testNodes()), facts)
	ib := route(t, e, "ibgp", host)
	for hop, pa := range ib.Paths {
		require.True(t, pa.ZeroLocalPref, "ibgp path via %s", hop)
	}
	for hop, pa := range route(t, e, "ebgp", host).Paths {
		require.False(t, pa.ZeroLocalPref, "ebgp path via %s", hop)
	}
	var hop netip.Addr
	for h := range ib.Paths {
		hop = h
	}
	path := func(has bool, lp uint32) routers.BGPRoute {
		return routers.BGPRoute{Prefix: host, Paths: []routers.BGPPath{{NextHop: hop, Valid: true, HasLocalPref: has, LocalPref: lp}}}
	}
	one := ExpectedRoute{Prefix: host, NextHops: []netip.Addr{hop}, CheckAttrs: true, Paths: map[netip.Addr]PathAttrs{hop: ib.Paths[hop]}}
	require.Empty(t, compareRoute(one, path(true, 0)), "LOCAL_PREF 0 sent")
	require.NotEmpty(t, compareRoute(one, path(false, 0)), "no LOCAL_PREF sent")
	require.NotEmpty(t, compareRoute(one, path(true, 100)), "LOCAL_PREF 100 sent")
}
