package topologies

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// MappedIPv6Prefix holds the IPv6 twin of every IPv4 pool address and service IP that
// ForFamily derives: the IPv4 address sits in the low 32 bits, so 10.250.0.0/28 becomes
// fd00:250::afa:0/124 and the twin of any address can be read off by eye.
var MappedIPv6Prefix = netip.MustParsePrefix("fd00:250::/96")

// ForFamily returns the topology run in family f. The builtins (and most topologies written
// for IPv4) already put every network, address and route in both families; what is IPv4
// only is the cluster's family and the MetalLB side: pool addresses, requested service IPs
// and aggregation lengths. ForFamily sets the cluster's family and gives each IPv4 pool
// address and service IP its IPv6 twin in MappedIPv6Prefix (dual keeps both, ipv6 keeps
// only the twin; an L2 pool's twin lies in the nodes' network instead), and an aggregation
// length its IPv6 counterpart. Entries of a family the
// topology already has are kept as they are, so applying it twice changes nothing; a
// scenario that changes an IPv4 topology gets the same treatment by calling it after its
// change. Defaults are applied to the result.
func (t Topology) ForFamily(f IPFamily) (Topology, error) {
	switch f {
	case IPv4, IPv6, DualStack:
	default:
		return Topology{}, fmt.Errorf("unknown IP family %q (want ipv4, ipv6 or dual)", f)
	}
	t = t.Clone()
	from := t.Cluster.IPFamily
	if from == "" {
		from = IPv4
	}
	if from != IPv4 && from != f {
		return Topology{}, fmt.Errorf("topology %s is %s: only IPv4 topologies can be turned into another family", t.Name, from)
	}
	t.Cluster.IPFamily = f
	// The pod and service subnets' defaults are per family: clear nothing, WithDefaults
	// adds the IPv6 ones; an IPv6-only cluster must not keep the IPv4 ones.
	if !f.HasIPv4() {
		t.Cluster.PodSubnet.IPv4 = netip.Prefix{}
		t.Cluster.ServiceSubnet.IPv4 = netip.Prefix{}
		// Peer addresses default to the router's address per family in use.
		for i := range t.MetalLB.Peers {
			t.MetalLB.Peers[i].IPv4 = netip.Addr{}
		}
	}
	// An L2 pool's twin lies in the nodes' own IPv6 subnet, at the IPv4
	// address's offset in the IPv4 one: its neighbors ask for it by NDP on
	// that segment (172.30.0.100 in 172.30.0.0/24 becomes fd00:30::64 in
	// fd00:30::/64).
	var nodes4, nodes6 netip.Prefix
	if n, ok := t.Network(t.Cluster.Network); ok {
		nodes4, nodes6 = n.IPv4.Masked(), n.IPv6.Masked()
	}
	l2Twin := func(a netip.Addr) netip.Addr { return subnetTwin(a, nodes4, nodes6) }
	// A requested service IP in an L2 pool gets the same twin as the pool
	// (looked up in the pools as they were: an IPv6 lab drops the IPv4
	// entries).
	before := t.MetalLB
	before.Pools = slices.Clone(t.MetalLB.Pools)
	serviceTwin := func(a netip.Addr) netip.Addr {
		if pool, ok := before.PoolOf(a); ok && before.L2Pool(pool.Name) && nodes4.IsValid() && nodes6.IsValid() {
			return l2Twin(a)
		}
		return MapIPv6(a)
	}
	for i := range t.MetalLB.Pools {
		p := &t.MetalLB.Pools[i]
		twin := MapIPv6
		if t.MetalLB.L2Pool(p.Name) && f.HasIPv6() && hasIPv4Entry(p.Addresses) {
			if !nodes4.IsValid() || !nodes6.IsValid() {
				return Topology{}, fmt.Errorf("metallb.pools[%s]: an L2 pool's IPv6 twin lies in the nodes' network's IPv6 subnet, at its IPv4 address's offset in the IPv4 one, and network %s needs both (ipv4 %v, ipv6 %v)", p.Name, t.Cluster.Network, nodes4, nodes6)
			}
			twin = l2Twin
		}
		out, err := familyAddresses(p.Addresses, f, twin)
		if err != nil {
			return Topology{}, fmt.Errorf("metallb.pools[%s]: %w", p.Name, err)
		}
		p.Addresses = out
	}
	for i := range t.MetalLB.Advertisements {
		a := &t.MetalLB.Advertisements[i]
		if a.AggregationLength != 0 && a.AggregationLengthV6 == 0 && f.HasIPv6() {
			a.AggregationLengthV6 = 96 + a.AggregationLength
		}
	}
	for i := range t.Services {
		s := &t.Services[i]
		var ips []netip.Addr
		has6 := false
		for _, ip := range s.IPs {
			has6 = has6 || ip.Is6()
		}
		for _, ip := range s.IPs {
			if ip.Is4() {
				if f.HasIPv4() {
					ips = append(ips, ip)
				}
				// A service asks for at most one address per family: the twin only
				// when it has no IPv6 one yet.
				if f.HasIPv6() && !has6 {
					ips = append(ips, serviceTwin(ip))
				}
				continue
			}
			ips = append(ips, ip)
		}
		s.IPs = ips
	}
	return t.WithDefaults(), nil
}

// FamilyOf is the family of an address.
func FamilyOf(a netip.Addr) IPFamily {
	if a.Is6() {
		return IPv6
	}
	return IPv4
}

// MapIPv6 is the IPv6 twin of an IPv4 address in MappedIPv6Prefix.
func MapIPv6(a netip.Addr) netip.Addr {
	b := MappedIPv6Prefix.Addr().As16()
	v4 := a.As4()
	copy(b[12:], v4[:])
	return netip.AddrFrom16(b)
}

// hasIPv4Entry reports whether a pool has an IPv4 entry (unparsable
// entries are left to validation).
func hasIPv4Entry(addrs []string) bool {
	for _, s := range addrs {
		if r, err := ParsePoolAddress(s); err == nil && !r.Is6() {
			return true
		}
	}
	return false
}

// subnetTwin is the address at a's offset in s4, counted from the start of
// s6 (a outside s4: its MappedIPv6Prefix twin, which validation refuses
// for an L2 pool, naming the subnet).
func subnetTwin(a netip.Addr, s4, s6 netip.Prefix) netip.Addr {
	if !s4.Contains(a) {
		return MapIPv6(a)
	}
	base, v4 := s4.Addr().As4(), a.As4()
	off := binary.BigEndian.Uint32(v4[:]) - binary.BigEndian.Uint32(base[:])
	b := s6.Addr().As16()
	lo := binary.BigEndian.Uint64(b[8:]) + uint64(off)
	binary.BigEndian.PutUint64(b[8:], lo)
	return netip.AddrFrom16(b)
}

// familyAddresses maps a pool's entries to family f (see ForFamily), an
// IPv4 address to its IPv6 twin by twin.
func familyAddresses(in []string, f IPFamily, twin func(netip.Addr) netip.Addr) ([]string, error) {
	var out []string
	have := map[string]bool{}
	for _, s := range in {
		have[strings.TrimSpace(s)] = true
	}
	add := func(s string) {
		if !have[s] {
			out = append(out, s)
		}
	}
	for _, s := range in {
		r, err := ParsePoolAddress(s)
		if err != nil {
			return nil, err
		}
		if r.Is6() {
			out = append(out, s)
			continue
		}
		if f.HasIPv4() {
			out = append(out, s)
		}
		if !f.HasIPv6() {
			continue
		}
		if strings.Contains(s, "/") {
			p := netip.MustParsePrefix(strings.TrimSpace(s))
			add(netip.PrefixFrom(twin(p.Addr()), 96+p.Bits()).String())
		} else {
			add(twin(r.From).String() + "-" + twin(r.To).String())
		}
	}
	return out, nil
}
