package scenarios

import "github.com/peerlab/peerlab/topologies"

// advertise replaces the advertisements with one for every pool.
func advertise(t *topologies.Topology, ad topologies.BGPAdvertisement) {
	ad.Name = "scenario"
	t.MetalLB.Advertisements = []topologies.BGPAdvertisement{ad}
}

// communitiesScenario: numeric, well-known and large communities and a
// local preference, as each router receives them (local preference on iBGP
// sessions only).
func communitiesScenario() Scenario {
	return one("communities", "communities (numeric, well-known, large where the backend sends them) and localPref as every router receives them", nil, Step{Change: func(t *topologies.Topology) {
		comms := []string{"64512:100", "no-advertise"}
		// The native speaker sends no large communities (validation
		// refuses them); the rest of the scenario still applies.
		if t.MetalLB.Backend.LargeCommunities() {
			comms = append(comms, "large:64512:1:2")
		}
		advertise(t, topologies.BGPAdvertisement{Communities: comms, LocalPref: 200})
	}})
}

// aggregationScenario: aggregationLength makes every router receive the
// covering prefix instead of the address.
func aggregationScenario() Scenario {
	return one("aggregation", "aggregationLength: routers receive the covering /30, not the /32", nil, Step{Change: func(t *topologies.Topology) {
		advertise(t, topologies.BGPAdvertisement{AggregationLength: 30})
	}})
}

// advertisementNodesScenario: an advertisement's node selector limits the
// next hops to the selected node.
func advertisementNodesScenario() Scenario {
	return one("advertisement-nodes", "advertisement nodeSelectors: only the selected node is a next hop", []Requirement{needsTwoAnnouncingNodes}, Step{Change: func(t *topologies.Topology) {
		advertise(t, topologies.BGPAdvertisement{Nodes: t.Cluster.AnnouncingNodeNames()[:1]})
	}})
}

// advertisementPeersScenario: an advertisement's peers limit the routers
// that receive the route; the others must not have it.
func advertisementPeersScenario() Scenario {
	return one("advertisement-peers", "advertisement peers: only the named router receives the route", []Requirement{needsTwoPeers}, Step{Change: func(t *topologies.Topology) {
		first := peerRouters(*t)[0]
		// The client's router, so the client still reaches the service.
		if len(t.Clients) > 0 {
			first = t.Clients[0].Via
		}
		advertise(t, topologies.BGPAdvertisement{Peers: []string{first}})
	}})
}
