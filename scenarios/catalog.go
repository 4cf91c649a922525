package scenarios

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/peerlab/peerlab/topologies"
)

// Catalog is every scenario, in the order a suite runs them. A new scenario
// is a new file with its constructor, plus one line here.
func Catalog() []Scenario {
	return []Scenario{
		baseScenario(),
		etpLocalScenario(),
		poolsScenario(),
		poolNoAutoAssignScenario(),
		requestedIPScenario(),
		avoidBuggyIPsScenario(),
		poolExhaustedScenario(),
		changePoolScenario(),
		communitiesScenario(),
		aggregationScenario(),
		advertisementNodesScenario(),
		advertisementPeersScenario(),
		peerTimersScenario(),
		peerNodesScenario(),
		md5MismatchScenario(),
		bfdProfilesScenario(),
		servicesScenario(),
		sharedIPScenario(),
		randomScenario(0),
	}
}

// one is a scenario of a single step.
func one(name, summary string, req []Requirement, st Step) Scenario {
	return Scenario{Name: name, Summary: summary, Requires: req, Steps: []Step{st}}
}

// Requirements shared by the catalog.
var (
	needsClient = Requirement{Name: "a client", Unmet: func(t topologies.Topology) string {
		if len(t.Clients) == 0 {
			return "the topology has no client"
		}
		return ""
	}}
	needsIPv4 = Requirement{Name: "IPv4", Unmet: func(t topologies.Topology) string {
		if !t.Cluster.IPFamily.HasIPv4() {
			return "the cluster has no IPv4"
		}
		return ""
	}}
	needsTwoAnnouncingNodes = Requirement{Name: "two announcing nodes", Unmet: func(t topologies.Topology) string {
		if len(t.Cluster.AnnouncingNodeNames()) < 2 {
			return fmt.Sprintf("the cluster has %d announcing node(s)", len(t.Cluster.AnnouncingNodeNames()))
		}
		return ""
	}}
	needsIBGP = Requirement{Name: "an iBGP router", Unmet: func(t topologies.Topology) string {
		for _, p := range t.MetalLB.Peers {
			if r, ok := t.Router(p.Router); ok && r.ASN == t.MetalLB.ASN {
				return ""
			}
		}
		return "no MetalLB peer is in MetalLB's own AS"
	}}
	needsTwoPeers = Requirement{Name: "two MetalLB peers", Unmet: func(t topologies.Topology) string {
		if len(peerRouters(t)) < 2 {
			return "the topology has fewer than two routers peering with the nodes"
		}
		return ""
	}}
	needsPassword = Requirement{Name: "TCP MD5 on a peer", Unmet: func(t topologies.Topology) string {
		for _, p := range t.MetalLB.Peers {
			if p.Password != "" {
				return ""
			}
		}
		return "no MetalLB peer has a password"
	}}
	needsBFD = Requirement{Name: "BFD on the peers", Unmet: func(t topologies.Topology) string {
		for _, p := range t.MetalLB.Peers {
			if p.BFDProfile != "" {
				return ""
			}
		}
		return "no MetalLB peer uses a BFD profile"
	}}
)

// peerRouters are the routers MetalLB peers with, in topology order.
func peerRouters(t topologies.Topology) []string {
	var out []string
	for _, p := range t.MetalLB.Peers {
		if !slices.Contains(out, p.Router) {
			out = append(out, p.Router)
		}
	}
	return out
}

// firstIPv4Pool is the first pool with IPv4 addresses and its first
// address's prefix (used to place extra pools beside it).
func poolBase(t topologies.Topology) netip.Addr {
	for _, p := range t.MetalLB.Pools {
		rs, _ := p.Ranges()
		for _, r := range rs {
			if r.From.Is4() {
				return r.From
			}
		}
	}
	return netip.MustParseAddr("10.250.0.0")
}

// extraPool is a free /28 next to the base pool: the n-th /24 above it.
func extraPool(t topologies.Topology, n int, bits int) netip.Prefix {
	b := poolBase(t).As4()
	b[2] += byte(n)
	b[3] = 0
	p, _ := netip.AddrFrom4(b).Prefix(bits)
	return p
}

// addService adds a service with defaults left to WithDefaults.
func addService(t *topologies.Topology, s topologies.Service) {
	t.Services = append(t.Services, s)
}

// defaultService is the base topology's first service.
func defaultService(t *topologies.Topology) *topologies.Service {
	if len(t.Services) == 0 {
		t.Services = []topologies.Service{{Name: topologies.DefaultServiceName}}
	}
	return &t.Services[0]
}
