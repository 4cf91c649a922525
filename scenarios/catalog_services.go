package scenarios

import (
	"net/netip"

	"github.com/peerlab/peerlab/topologies"
)

// servicesScenario: several services at once, each announced with its own
// next hops: one Cluster, one Local pinned to one node, one on a requested
// address.
func servicesScenario() Scenario {
	return one("services", "several services at once, each with the right next hops", []Requirement{needsTwoAnnouncingNodes}, Step{Change: func(t *topologies.Topology) {
		b := poolBase(*t).As4()
		b[3] += 9
		addService(t, topologies.Service{Name: "local-one", ExternalTrafficPolicy: topologies.ETPLocal, Nodes: t.Cluster.AnnouncingNodeNames()[:1]})
		addService(t, topologies.Service{Name: "fixed", IPs: []netip.Addr{netip.AddrFrom4(b)}, Port: 8080})
	}})
}

// sharedIPScenario: two services share one address on different ports;
// the address is announced once and both ports answer.
func sharedIPScenario() Scenario {
	return one("shared-ip", "two services share one address on different ports", nil, Step{Change: func(t *topologies.Topology) {
		b := poolBase(*t).As4()
		b[3] += 11
		ip := []netip.Addr{netip.AddrFrom4(b)}
		addService(t, topologies.Service{Name: "share-a", IPs: ip, SharedIP: "shared", Port: 80})
		addService(t, topologies.Service{Name: "share-b", IPs: ip, SharedIP: "shared", Port: 8080})
	}})
}
