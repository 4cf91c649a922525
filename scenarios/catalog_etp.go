package scenarios

import "github.com/peerlab/peerlab/topologies"

// etpLocalScenario: with externalTrafficPolicy Local only nodes with a ready
// backend announce; the next hops follow a scale down and a scale up, and
// the backends see the client's own address.
func etpLocalScenario() Scenario {
	return Scenario{
		Name:     "etp-local",
		Summary:  "externalTrafficPolicy Local: next hops are the nodes with a ready backend, through scale down and up; client address kept",
		Requires: []Requirement{needsTwoAnnouncingNodes},
		Steps: []Step{
			{Name: "local", Change: func(t *topologies.Topology) {
				s := defaultService(t)
				s.ExternalTrafficPolicy = topologies.ETPLocal
			}},
			{Name: "scale down to one node", Change: func(t *topologies.Topology) {
				s := defaultService(t)
				s.Nodes = t.Cluster.AnnouncingNodeNames()[1:2]
				s.Replicas = 1
			}},
			{Name: "scale up again", Change: func(t *topologies.Topology) {
				s := defaultService(t)
				s.Nodes = nil
				s.Replicas = len(t.Cluster.AnnouncingNodeNames())
			}},
		},
	}
}
