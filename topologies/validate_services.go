package topologies

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ---------------------------------------------------------------------------------------
// services

const maxServiceNameLen = 63

// serviceNameRE is a DNS-1035 label, which Kubernetes requires of Service names: unlike a
// DNS-1123 label it must start with a letter.
var serviceNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func (v *validator) services() {
	t := v.t
	if len(t.Services) == 0 {
		v.add("services", "not set (WithDefaults adds one service %q)", DefaultServiceName)
	}
	names := map[string]int{}
	for i, s := range t.Services {
		sp := v.svcPath[i]
		np := join(sp, "name")
		switch {
		case s.Name == "":
			v.add(np, "required")
		case len(s.Name) > maxServiceNameLen:
			v.add(np, "%q is longer than %d characters, the most a Service name may have", s.Name, maxServiceNameLen)
		case !serviceNameRE.MatchString(s.Name):
			v.add(np, "%q must be a DNS label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit", s.Name)
		default:
			if k, dup := names[s.Name]; dup {
				v.add(np, "duplicate service name %q (also %s)", s.Name, v.svcPath[k])
			} else {
				names[s.Name] = i
			}
		}

		if s.Pool != "" {
			if _, ok := v.poolIdx[s.Pool]; !ok {
				v.add(join(sp, "pool"), "unknown pool %q (%s)", s.Pool, known(v.poolIdx))
			}
		}
		v.serviceIPs(sp, s)
		if s.Pool == "" && len(s.IPs) == 0 {
			v.autoAssignable(sp)
		}

		switch {
		case s.Replicas == 0:
			v.add(join(sp, "replicas"), "not set (WithDefaults uses the number of nodes the backends may run on)")
		case s.Replicas < 0:
			v.add(join(sp, "replicas"), "%d: must be at least 1", s.Replicas)
		}
		switch s.ExternalTrafficPolicy {
		case ETPCluster, ETPLocal:
		case "":
			v.add(join(sp, "externalTrafficPolicy"), "not set (WithDefaults sets Cluster)")
		default:
			v.add(join(sp, "externalTrafficPolicy"), "%q: must be Cluster or Local", s.ExternalTrafficPolicy)
		}
		switch {
		case s.Port == 0:
			v.add(join(sp, "port"), "not set (WithDefaults sets %d)", DefaultPort)
		case s.Port < 1 || s.Port > 65535:
			v.add(join(sp, "port"), "%d: must be 1..65535", s.Port)
		}

		valid := v.nodeRefs(join(sp, "nodes"), s.Nodes)
		announcing := t.Cluster.AnnouncingNodeNames()
		if s.ExternalTrafficPolicy == ETPLocal && len(valid) > 0 && !slices.ContainsFunc(valid, func(n string) bool { return slices.Contains(announcing, n) }) {
			v.add(join(sp, "nodes"), "none of these nodes announces service IPs (announcing: %s): with externalTrafficPolicy Local only nodes with a backend announce, so nobody would; add an announcing node or use Cluster",
				strings.Join(announcing, ", "))
		}
	}
	v.sharing()
}

// poolOf returns the index of the pool whose addresses hold a, or -1.
func (v *validator) poolOf(a netip.Addr) int {
	for i, addrs := range v.poolAddrs {
		if slices.ContainsFunc(addrs, func(pa poolAddr) bool { return pa.r.Contains(a) }) {
			return i
		}
	}
	return -1
}

// serviceIPs checks the addresses a service requests: what MetalLB's controller would
// refuse, leaving the service without an address.
func (v *validator) serviceIPs(sp string, s Service) {
	ipsPath := join(sp, "ips")
	byFamily := map[IPFamily]int{}
	pools := map[int]netip.Addr{} // pool index -> first requested address in it
	valid := 0
	for j, a := range s.IPs {
		ap := index(ipsPath, strconv.Itoa(j))
		if !a.IsValid() {
			v.add(ap, "not an address")
			continue
		}
		if a.Zone() != "" || a.Is4In6() {
			v.add(ap, "%s: use a plain IPv4 or IPv6 address", a)
			continue
		}
		f := IPv4
		if a.Is6() {
			f = IPv6
		}
		if v.fam != "" && !slices.Contains(v.fam.Families(), f) {
			v.add(ap, "%s is an %s address, but %s", a, familyName(a), v.familyReason())
			continue
		}
		if k, dup := byFamily[f]; dup {
			v.add(ap, "a second %s address (ips[%d] is one): MetalLB takes at most one address per family", familyName(a), k)
			continue
		}
		byFamily[f] = j
		valid++
		pi := v.poolOf(a)
		if pi < 0 {
			v.add(ap, "%s is in no pool of metallb.pools: MetalLB only hands out pool addresses; request one of a pool's addresses or add a pool holding it", a)
			continue
		}
		pool := v.t.MetalLB.Pools[pi]
		if s.Pool != "" && pool.Name != s.Pool {
			if _, known := v.poolIdx[s.Pool]; known {
				v.add(ap, "%s is in pool %q, not in pool %q that the service asks for: MetalLB refuses the pair; request an address of %q or change pool", a, pool.Name, s.Pool, s.Pool)
			}
			continue
		}
		if pool.AvoidBuggyIPs && buggyIPv4(a) {
			v.add(ap, "%s ends in .0 or .255, which pool %q never hands out (avoidBuggyIPs): request another address", a, pool.Name)
			continue
		}
		if _, seen := pools[pi]; !seen {
			pools[pi] = a
		}
	}
	if len(pools) > 1 {
		var parts []string
		for pi, a := range pools {
			parts = append(parts, a.String()+" in pool "+strconv.Quote(v.t.MetalLB.Pools[pi].Name))
		}
		slices.Sort(parts)
		v.add(ipsPath, "%s: MetalLB takes a service's requested addresses from one pool; request addresses of the same pool", strings.Join(parts, ", "))
	}
	if v.fam == DualStack && valid == 1 {
		v.add(ipsPath, "one address, but cluster.ipFamily is dual: the service is dual-stack and MetalLB refuses requested addresses that do not match its families; request one IPv4 and one IPv6 address")
	}
}

// autoAssignable checks that a service that names neither a pool nor addresses can get an
// address of every family the cluster uses from some pool with autoAssign.
func (v *validator) autoAssignable(sp string) {
	m := v.t.MetalLB
	if len(m.Pools) == 0 {
		return // reported on metallb.pools
	}
	for _, f := range v.fam.Families() {
		has := false
		for i, p := range m.Pools {
			if p.AutoAssigns() && slices.ContainsFunc(v.poolAddrs[i], func(pa poolAddr) bool { return pa.r.Is6() == (f == IPv6) }) {
				has = true
				break
			}
		}
		if !has {
			v.add(sp, "sets neither pool nor ips, and no pool with autoAssign has %s addresses (%s): MetalLB would give it none; set pool or ips, or let a pool with %s addresses autoAssign",
				f, v.familyReason(), f)
		}
	}
}

// sharing checks services that share an address (sharedIP) or request the same address.
func (v *validator) sharing() {
	svcs := v.t.Services
	for j, b := range svcs {
		bp := v.svcPath[j]
		// The first service before b with the same key: comparing each with the first
		// reports every mismatch once.
		first := -1
		if b.SharedIP != "" {
			first = slices.IndexFunc(svcs[:j], func(a Service) bool { return a.SharedIP == b.SharedIP })
		}
		if first >= 0 {
			a, ap := svcs[first], v.svcPath[first]
			if b.Pool != "" && a.Pool != "" && b.Pool != a.Pool {
				v.add(join(bp, "pool"), "%q, but %s, with the same sharedIP key %q, asks for pool %q: services sharing an address must get it from one pool", b.Pool, ap, b.SharedIP, a.Pool)
			}
			if !sameAddrs(a.IPs, b.IPs) {
				v.add(join(bp, "ips"), "%s, but %s, with the same sharedIP key %q, requests %s: services sharing an address must request the same ips (or none)",
					addrList(b.IPs), ap, b.SharedIP, addrList(a.IPs))
			}
		}
		if b.SharedIP != "" && b.ExternalTrafficPolicy == ETPLocal {
			for i, a := range svcs {
				if i != j && a.SharedIP == b.SharedIP {
					v.add(join(bp, "externalTrafficPolicy"), "Local, but the service shares an address with %s (sharedIP %q): MetalLB lets Local services share an address only when they select the same pods, and each service here has its own backends; use Cluster",
						v.svcPath[i], b.SharedIP)
					break
				}
			}
		}
		if b.SharedIP != "" {
			for i, a := range svcs[:j] {
				if a.SharedIP == b.SharedIP && a.Port == b.Port && b.Port != 0 {
					v.add(join(bp, "port"), "%d is also the port of %s, which shares the address (sharedIP %q): services sharing an address need different ports", b.Port, v.svcPath[i], b.SharedIP)
					break
				}
			}
		}
		// Requesting another service's address without a common key.
		for k, ip := range b.IPs {
			for i, a := range svcs[:j] {
				if (b.SharedIP == "" || a.SharedIP != b.SharedIP) && slices.Contains(a.IPs, ip) {
					v.add(index(join(bp, "ips"), strconv.Itoa(k)), "%s is also requested by %s: two services get one address only when both set the same sharedIP key", ip, v.svcPath[i])
					break
				}
			}
		}
	}
}

// sameAddrs reports whether a and b hold the same addresses, in any order.
func sameAddrs(a, b []netip.Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func addrList(as []netip.Addr) string {
	if len(as) == 0 {
		return "no ips"
	}
	return "[" + strings.Join(mapSlice(as, netip.Addr.String), ", ") + "]"
}
