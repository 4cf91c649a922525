package topologies

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Defaults that WithDefaults applies. They are exported so that the harness and the docs can
// name them instead of repeating the values.
const (
	DefaultKubernetesVersion = "v1.34.10"
	DefaultMaxPaths          = 8
	DefaultConnectTime       = 5 * time.Second
	DefaultBFDInterval       = 300 // ms, FRR's default
	DefaultBFDMultiplier     = 3
	DefaultPort              = 80
)

var (
	DefaultPodSubnetIPv4     = netip.MustParsePrefix("10.244.0.0/16")
	DefaultPodSubnetIPv6     = netip.MustParsePrefix("fd00:10:244::/56")
	DefaultServiceSubnetIPv4 = netip.MustParsePrefix("10.96.0.0/16")
	DefaultServiceSubnetIPv6 = netip.MustParsePrefix("fd00:10:96::/112")
)

// Prepare applies the defaults and validates: what the harness and the CLI call on a
// topology before using it.
func (t Topology) Prepare() (Topology, error) {
	t = t.WithDefaults()
	return t, t.Validate()
}

// WithDefaults returns a copy of t with every empty field that has a default filled in. It
// only fills zero values, so applying it twice gives the same result as once, and it never
// touches t itself. Fields whose default depends on another element (a peer's ASN, a
// MetalLB peer's addresses) are left empty when that element cannot be found: Validate then
// reports the broken reference.
func (t Topology) WithDefaults() Topology {
	t = t.Clone()
	c := &t.Cluster
	if c.ControlPlanes == 0 {
		c.ControlPlanes = 1
	}
	if c.KubernetesVersion == "" {
		c.KubernetesVersion = DefaultKubernetesVersion
	}
	if c.IPFamily == "" {
		c.IPFamily = IPv4
	}
	if c.IPFamily.HasIPv4() {
		setPrefix(&c.PodSubnet.IPv4, DefaultPodSubnetIPv4)
		setPrefix(&c.ServiceSubnet.IPv4, DefaultServiceSubnetIPv4)
	}
	if c.IPFamily.HasIPv6() {
		setPrefix(&c.PodSubnet.IPv6, DefaultPodSubnetIPv6)
		setPrefix(&c.ServiceSubnet.IPv6, DefaultServiceSubnetIPv6)
	}

	for i := range t.Routers {
		r := &t.Routers[i]
		if r.Role == "" {
			r.Role = RoleEdge
		}
		if !r.RouterID.IsValid() {
			for _, a := range r.Interfaces {
				if a.IPv4.IsValid() {
					r.RouterID = a.IPv4
					break
				}
			}
		}
		if r.ECMP && r.MaxPaths == 0 {
			r.MaxPaths = DefaultMaxPaths
		}
		for j := range r.Peers {
			p := &r.Peers[j]
			if p.Nodes {
				if p.ASN == 0 {
					p.ASN = t.MetalLB.ASN
				}
				continue
			}
			other, ok := t.Router(p.Router)
			if !ok {
				continue
			}
			if p.ASN == 0 {
				p.ASN = other.ASN
			}
			if p.Network == "" {
				p.Network = t.sharedNetwork(*r, other)
			}
		}
	}

	m := &t.MetalLB
	m.Backend = m.Backend.Or()
	for i := range m.Peers {
		p := &m.Peers[i]
		r, ok := t.Router(p.Router)
		if !ok {
			continue
		}
		if p.ASN == 0 {
			p.ASN = r.ASN
		}
		if p.Network == "" {
			// Only the nodes' own network is a safe guess: anything else is a multi-hop
			// design decision the file must state.
			if _, on := r.Interface(c.Network); on {
				p.Network = c.Network
			}
		}
		if a, on := r.Interface(p.Network); on {
			if c.IPFamily.HasIPv4() && !p.IPv4.IsValid() {
				p.IPv4 = a.IPv4
			}
			if c.IPFamily.HasIPv6() && !p.IPv6.IsValid() {
				p.IPv6 = a.IPv6
			}
		}
		// The native speaker refuses a connect time (it retries on its own).
		if p.ConnectTime == 0 && m.Backend.ConnectTime() {
			p.ConnectTime = Duration(DefaultConnectTime)
		}
	}
	for i := range m.BFDProfiles {
		b := &m.BFDProfiles[i]
		if b.ReceiveInterval == 0 {
			b.ReceiveInterval = DefaultBFDInterval
		}
		if b.TransmitInterval == 0 {
			b.TransmitInterval = DefaultBFDInterval
		}
		if b.DetectMultiplier == 0 {
			b.DetectMultiplier = DefaultBFDMultiplier
		}
	}
	if len(m.Advertisements) == 0 && len(m.Pools) > 0 {
		switch bgp := m.BGPPools(); {
		case len(m.L2Advertisements) == 0:
			// No pools named: every pool, as in MetalLB, including pools a
			// later change adds.
			m.Advertisements = []BGPAdvertisement{{}}
		case len(bgp) > 0:
			// With L2 pools, every pool but those: an empty list would
			// announce the L2 pools by BGP too.
			m.Advertisements = []BGPAdvertisement{{Pools: bgp}}
		}
	}
	for i := range m.Advertisements {
		if m.Advertisements[i].Name == "" {
			m.Advertisements[i].Name = fmt.Sprintf("advertisement-%d", i)
		}
	}
	for i := range m.L2Advertisements {
		if m.L2Advertisements[i].Name == "" {
			m.L2Advertisements[i].Name = fmt.Sprintf("l2advertisement-%d", i)
		}
	}

	if len(t.Services) == 0 {
		t.Services = []Service{{Name: DefaultServiceName}}
	}
	for i := range t.Services {
		s := &t.Services[i]
		if s.Replicas == 0 {
			s.Replicas = len(s.Nodes)
			if s.Replicas == 0 {
				s.Replicas = c.AnnouncingNodes()
			}
		}
		if s.ExternalTrafficPolicy == "" {
			s.ExternalTrafficPolicy = ETPCluster
		}
		if s.Port == 0 {
			s.Port = DefaultPort
		}
	}
	return t
}

func setPrefix(p *netip.Prefix, def netip.Prefix) {
	if !p.IsValid() {
		*p = def
	}
}

// sharedNetwork returns the first network, in Topology.Networks order, that both routers
// are attached to, or "". Using the global order makes both sides of a session pick the same
// network.
func (t Topology) sharedNetwork(a, b Router) string {
	for _, n := range t.Networks {
		_, onA := a.Interface(n.Name)
		_, onB := b.Interface(n.Name)
		if onA && onB {
			return n.Name
		}
	}
	return ""
}

// Clone returns a deep copy of t: changing the copy's slices never changes t.
func (t Topology) Clone() Topology {
	t.Cluster.Routes = slices.Clone(t.Cluster.Routes)
	t.Networks = slices.Clone(t.Networks)
	t.Routers = slices.Clone(t.Routers)
	for i := range t.Routers {
		r := &t.Routers[i]
		r.Interfaces = slices.Clone(r.Interfaces)
		r.Peers = slices.Clone(r.Peers)
		r.Routes = slices.Clone(r.Routes)
	}
	t.Clients = slices.Clone(t.Clients)
	m := &t.MetalLB
	m.Pools = slices.Clone(m.Pools)
	for i := range m.Pools {
		m.Pools[i].Addresses = slices.Clone(m.Pools[i].Addresses)
	}
	m.Peers = slices.Clone(m.Peers)
	m.BFDProfiles = slices.Clone(m.BFDProfiles)
	for i := range m.Pools {
		if p := m.Pools[i].AutoAssign; p != nil {
			v := *p
			m.Pools[i].AutoAssign = &v
		}
	}
	for i := range m.Peers {
		m.Peers[i].Nodes = slices.Clone(m.Peers[i].Nodes)
	}
	m.Advertisements = slices.Clone(m.Advertisements)
	for i := range m.Advertisements {
		a := &m.Advertisements[i]
		a.Pools = slices.Clone(a.Pools)
		a.Communities = slices.Clone(a.Communities)
		a.Nodes = slices.Clone(a.Nodes)
		a.Peers = slices.Clone(a.Peers)
	}
	m.L2Advertisements = slices.Clone(m.L2Advertisements)
	for i := range m.L2Advertisements {
		a := &m.L2Advertisements[i]
		a.Pools = slices.Clone(a.Pools)
		a.Nodes = slices.Clone(a.Nodes)
		a.Interfaces = slices.Clone(a.Interfaces)
	}
	t.Services = slices.Clone(t.Services)
	for i := range t.Services {
		t.Services[i].IPs = slices.Clone(t.Services[i].IPs)
		t.Services[i].Nodes = slices.Clone(t.Services[i].Nodes)
	}
	return t
}
