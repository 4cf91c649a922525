package topologies

import (
	"fmt"
	"math/big"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ASN limits. 0 and 4294967295 are reserved (RFC 7607, RFC 7300); 23456 is AS_TRANS, which
// stands in for 4-byte ASNs in 2-byte speakers and is never a real AS (RFC 6793).
const (
	asTrans = 23456
	asMax   = 4294967294
)

const maxNameLen = 32

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
)

// Validate checks the topology as given (apply WithDefaults first, or use Prepare) and
// returns every problem at once as Errors, or nil.
func (t Topology) Validate() error {
	v := newValidator(&t)
	v.topology()
	v.networks()
	// Static addresses before anything that resolves a route's next hop.
	v.addresses()
	v.cluster()
	v.routers()
	v.clients()
	v.metallb()
	v.workload()
	v.overlaps()
	// Checks run in dependency order; report in the order of the file's sections.
	slices.SortStableFunc(v.errs, func(a, b *FieldError) int { return section(a.Path) - section(b.Path) })
	return v.err()
}

// section returns the position of the path's top-level field in Topology.
func section(path string) int {
	top, _, _ := strings.Cut(path, ".")
	top, _, _ = strings.Cut(top, "[")
	for i, f := range jsonFields(reflect.TypeFor[Topology]()) {
		if f.name == top {
			return i
		}
	}
	return -1
}

type validator struct {
	errorList
	t   *Topology
	fam IPFamily

	// name -> index of the first element with that name, and each element's path.
	netIdx, routerIdx, poolIdx, profileIdx map[string]int
	netPath, routerPath, clientPath        []string
	poolPath, profilePath, mlbPeerPath     []string

	// owner of each static address, for duplicate detection and route next hops.
	addrs map[netip.Addr]addrOwner
	// prefixes and ranges that must not overlap, collected while checking.
	spaces []space
}

type addrOwner struct {
	path    string // path of the address field
	router  string // router name, "" for a client
	network string
}

type space struct {
	path string
	r    AddrRange
	text string
}

func newValidator(t *Topology) *validator {
	v := &validator{t: t, fam: t.Cluster.IPFamily, addrs: map[netip.Addr]addrOwner{}}
	v.netPath = paths("networks", networkNames(t))
	v.routerPath = paths("routers", routerNames(t))
	v.clientPath = paths("clients", mapSlice(t.Clients, func(c Client) string { return c.Name }))
	v.poolPath = paths("metallb.pools", mapSlice(t.MetalLB.Pools, func(p Pool) string { return p.Name }))
	v.profilePath = paths("metallb.bfdProfiles", mapSlice(t.MetalLB.BFDProfiles, func(b BFDProfile) string { return b.Name }))
	v.mlbPeerPath = paths("metallb.peers", make([]string, len(t.MetalLB.Peers)))
	return v
}

func networkNames(t *Topology) []string {
	return mapSlice(t.Networks, func(n Network) string { return n.Name })
}
func routerNames(t *Topology) []string {
	return mapSlice(t.Routers, func(r Router) string { return r.Name })
}

func paths(base string, names []string) []string {
	out := labels(names)
	for i, l := range out {
		out[i] = index(base, l)
	}
	return out
}

// indexNames checks the names of one list and returns name -> first index. shared holds
// names already used by another list that shares the namespace (routers and clients are
// both containers).
func (v *validator) indexNames(kind string, names, elemPaths []string, shared map[string]string) map[string]int {
	idx := map[string]int{}
	for i, n := range names {
		p := join(elemPaths[i], "name")
		if !v.name(p, n) {
			continue
		}
		if j, dup := idx[n]; dup {
			v.add(p, "duplicate %s name %q (also %s)", kind, n, elemPaths[j])
			continue
		}
		if other, dup := shared[n]; dup {
			v.add(p, "name %q is already used by %s (routers and clients share one namespace)", n, other)
			continue
		}
		idx[n] = i
	}
	return idx
}

// name checks an element name and reports whether it is usable.
func (v *validator) name(path, n string) bool {
	switch {
	case n == "":
		v.add(path, "required")
	case len(n) > maxNameLen:
		v.add(path, "%q is longer than %d characters", n, maxNameLen)
	case !nameRE.MatchString(n):
		v.add(path, "%q must be lowercase letters, digits and '-', starting and ending with a letter or digit", n)
	default:
		return true
	}
	return false
}

func (v *validator) topology() {
	t := v.t
	v.name("name", t.Name)
	v.netIdx = v.indexNames("network", networkNames(t), v.netPath, nil)
	v.routerIdx = v.indexNames("router", routerNames(t), v.routerPath, nil)
	shared := map[string]string{}
	for n, i := range v.routerIdx {
		shared[n] = v.routerPath[i]
	}
	v.indexNames("client", mapSlice(t.Clients, func(c Client) string { return c.Name }), v.clientPath, shared)
	v.poolIdx = v.indexNames("pool", mapSlice(t.MetalLB.Pools, func(p Pool) string { return p.Name }), v.poolPath, nil)
	v.profileIdx = v.indexNames("BFD profile", mapSlice(t.MetalLB.BFDProfiles, func(b BFDProfile) string { return b.Name }), v.profilePath, nil)
}

func mapSlice[T any](s []T, f func(T) string) []string {
	out := make([]string, len(s))
	for i, e := range s {
		out[i] = f(e)
	}
	return out
}

func (v *validator) network(name string) (Network, bool) {
	i, ok := v.netIdx[name]
	if !ok {
		return Network{}, false
	}
	return v.t.Networks[i], true
}

func (v *validator) router(name string) (Router, bool) {
	i, ok := v.routerIdx[name]
	if !ok {
		return Router{}, false
	}
	return v.t.Routers[i], true
}

// known lists the names of a map for "unknown X" messages.
func known(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none defined"
	}
	slices.Sort(names)
	return "known: " + strings.Join(names, ", ")
}

// netRef checks a reference to a network and returns it.
func (v *validator) netRef(path, name string) (Network, bool) {
	if name == "" {
		v.add(path, "required")
		return Network{}, false
	}
	n, ok := v.network(name)
	if !ok {
		v.add(path, "unknown network %q (%s)", name, known(v.netIdx))
	}
	return n, ok
}

// routerRef checks a reference to a router and returns it.
func (v *validator) routerRef(path, name string) (Router, bool) {
	if name == "" {
		v.add(path, "required")
		return Router{}, false
	}
	r, ok := v.router(name)
	if !ok {
		v.add(path, "unknown router %q (%s)", name, known(v.routerIdx))
	}
	return r, ok
}

// validASN reports whether a is a usable ASN.
func validASN(a uint32) bool { return a != 0 && a <= asMax && a != asTrans }

// asn checks an ASN that must be set.
func (v *validator) asn(path string, a uint32, unsetMsg string) bool {
	switch {
	case a == 0:
		v.add(path, "%s", unsetMsg)
	case a > asMax:
		v.add(path, "%d is reserved (RFC 7300); use 1..%d", a, asMax)
	case a == asTrans:
		v.add(path, "23456 is AS_TRANS (RFC 6793), not a usable ASN")
	default:
		return true
	}
	return false
}

// familyReason says why a family is required, for messages.
func (v *validator) familyReason() string {
	return fmt.Sprintf("cluster.ipFamily is %s", v.fam)
}

// ---------------------------------------------------------------------------------------
// cluster

func (v *validator) cluster() {
	c := v.t.Cluster
	switch {
	case c.ControlPlanes == 0:
		v.add("cluster.controlPlanes", "not set (WithDefaults sets 1)")
	case c.ControlPlanes != 1:
		v.add("cluster.controlPlanes", "%d: only 1 control-plane node is supported", c.ControlPlanes)
	}
	if c.Workers < 0 {
		v.add("cluster.workers", "%d: must not be negative", c.Workers)
	}
	if c.Workers == 0 && !c.ControlPlaneAnnounces {
		v.add("cluster.controlPlaneAnnounces", "no node announces service IPs: workers is 0 and the control plane is excluded; set controlPlaneAnnounces or add workers")
	}
	switch {
	case c.KubernetesVersion == "":
		v.add("cluster.kubernetesVersion", "not set (WithDefaults sets %s)", DefaultKubernetesVersion)
	case !versionRE.MatchString(c.KubernetesVersion):
		v.add("cluster.kubernetesVersion", "%q is not a version like %s", c.KubernetesVersion, DefaultKubernetesVersion)
	}
	if strings.ContainsAny(c.NodeImage, " \t\n") {
		v.add("cluster.nodeImage", "%q contains white space", c.NodeImage)
	}
	switch c.IPFamily {
	case IPv4, IPv6, DualStack:
	case "":
		v.add("cluster.ipFamily", "not set (WithDefaults sets ipv4)")
	default:
		v.add("cluster.ipFamily", "%q: must be ipv4, ipv6 or dual", c.IPFamily)
	}
	v.netRef("cluster.network", c.Network)
	v.clusterSubnets("cluster.podSubnet", c.PodSubnet, func(p netip.Prefix) string {
		// Each node gets a /24 (IPv4) or /64 (IPv6) out of the pod subnet.
		nodeBits := 24
		if p.Addr().Is6() {
			nodeBits = 64
		}
		spare := nodeBits - p.Bits() // bits left to number the nodes
		if spare < 0 || (spare < 31 && 1<<spare < c.Nodes()) {
			return fmt.Sprintf("too small for %d nodes with a /%d each", c.Nodes(), nodeBits)
		}
		return ""
	})
	v.clusterSubnets("cluster.serviceSubnet", c.ServiceSubnet, func(p netip.Prefix) string {
		// kube-apiserver refuses service ranges of more than 2^20 addresses.
		if p.Addr().BitLen()-p.Bits() > 20 {
			return fmt.Sprintf("larger than the 2^20 addresses kube-apiserver accepts (use /%d or smaller)", p.Addr().BitLen()-20)
		}
		return ""
	})
	for i, r := range c.Routes {
		v.route(index("cluster.routes", strconv.Itoa(i)), r, "", []string{c.Network})
	}
}

func (v *validator) clusterSubnets(path string, s Subnets, sizeProblem func(netip.Prefix) string) {
	for _, f := range []IPFamily{IPv4, IPv6} {
		p := s.IPv4
		fp := join(path, "ipv4")
		need := v.fam.HasIPv4()
		if f == IPv6 {
			p, fp, need = s.IPv6, join(path, "ipv6"), v.fam.HasIPv6()
		}
		if !p.IsValid() {
			if need {
				v.add(fp, "not set (%s; WithDefaults fills it)", v.familyReason())
			}
			continue
		}
		if !v.prefix(fp, p, f) {
			continue
		}
		if !need && v.fam != "" {
			v.add(fp, "set, but %s", v.familyReason())
			continue
		}
		if msg := sizeProblem(p); msg != "" {
			v.add(fp, "%s %s", p, msg)
		}
		v.spaces = append(v.spaces, space{path: fp, r: PrefixRange(p), text: p.String()})
	}
}

// prefix checks that p is a network prefix of family f.
func (v *validator) prefix(path string, p netip.Prefix, f IPFamily) bool {
	switch {
	case f == IPv4 && !p.Addr().Is4():
		v.add(path, "%s is not an IPv4 prefix", p)
	case f == IPv6 && (!p.Addr().Is6() || p.Addr().Is4In6()):
		v.add(path, "%s is not an IPv6 prefix", p)
	case p.Addr().Zone() != "":
		v.add(path, "%s must not have a zone", p)
	case p != p.Masked():
		v.add(path, "%s is not a network address (did you mean %s?)", p, p.Masked())
	default:
		return true
	}
	return false
}

// ---------------------------------------------------------------------------------------
// networks

func (v *validator) networks() {
	t := v.t
	if len(t.Networks) == 0 {
		v.add("networks", "at least one network is required")
	}
	for i, n := range t.Networks {
		np := v.netPath[i]
		if !n.IPv4.IsValid() && !n.IPv6.IsValid() {
			v.add(np, "needs an ipv4 or ipv6 subnet")
		}
		for _, f := range []IPFamily{IPv4, IPv6} {
			p, ok := n.Subnet(f)
			fp := join(np, string(f))
			if !ok {
				if slices.Contains(v.fam.Families(), f) && (n.IPv4.IsValid() || n.IPv6.IsValid()) {
					v.add(fp, "required (%s)", v.familyReason())
				}
				continue
			}
			if !v.prefix(fp, p, f) {
				continue
			}
			if !p.Addr().IsGlobalUnicast() {
				v.add(fp, "%s is not a unicast range usable for a lab network", p)
				continue
			}
			if _, err := DynamicRange(p); err != nil {
				v.add(fp, "%v", err)
				continue
			}
			// Docker gives each node an address in every subnet of its network, used by
			// the cluster or not, so every family's dynamic range must hold them all.
			if n.Name == t.Cluster.Network {
				capacity, _ := dynamicCapacity(p)
				if capacity.Cmp(big.NewInt(int64(t.Cluster.Nodes()))) < 0 {
					dyn, _ := DynamicRange(p)
					v.add(fp, "the dynamic range %s holds %s nodes, the cluster has %d", dyn, capacity, t.Cluster.Nodes())
				}
			}
			v.spaces = append(v.spaces, space{path: fp, r: PrefixRange(p), text: p.String()})
		}
	}
}

// staticAddrs checks the static addresses of a router interface or a client on network n
// (which may be unknown, then only the family is checked).
func (v *validator) staticAddrs(path string, a4, a6 netip.Addr, n Network, known bool, router string) {
	if !a4.IsValid() && !a6.IsValid() {
		v.add(path, "needs an ipv4 or ipv6 address")
	}
	for _, f := range []IPFamily{IPv4, IPv6} {
		a := a4
		if f == IPv6 {
			a = a6
		}
		fp := join(path, string(f))
		if !a.IsValid() {
			if (a4.IsValid() || a6.IsValid()) && slices.Contains(v.fam.Families(), f) {
				v.add(fp, "required (%s)", v.familyReason())
			}
			continue
		}
		if !v.addrFamily(fp, a, f) || !known {
			continue
		}
		subnet, ok := n.Subnet(f)
		if !ok {
			v.add(fp, "network %q has no %s subnet", n.Name, f)
			continue
		}
		v.static(fp, a, subnet, n.Name)
		if o, dup := v.addrs[a]; dup {
			v.add(fp, "%s is also used by %s", a, o.path)
			continue
		}
		v.addrs[a] = addrOwner{path: fp, router: router, network: n.Name}
	}
}

// addrFamily checks that a is an address of family f.
func (v *validator) addrFamily(path string, a netip.Addr, f IPFamily) bool {
	switch {
	case f == IPv4 && !a.Is4():
		v.add(path, "%s is not an IPv4 address", a)
	case f == IPv6 && (!a.Is6() || a.Is4In6()):
		v.add(path, "%s is not an IPv6 address", a)
	case a.Zone() != "":
		v.add(path, "%s must not have a zone", a)
	default:
		return true
	}
	return false
}

// static checks that a is a usable static address of subnet: inside it, not the network
// address, not Docker's gateway, not the broadcast address, and in the lower half that
// Docker's dynamic allocation never uses.
func (v *validator) static(path string, a netip.Addr, subnet netip.Prefix, network string) {
	subnet = subnet.Masked()
	dyn, err := DynamicRange(subnet)
	switch {
	case !subnet.Contains(a):
		v.add(path, "%s is outside network %q (%s)", a, network, subnet)
	case a == subnet.Addr():
		v.add(path, "%s is the network address of %s", a, subnet)
	case a == Gateway(subnet):
		v.add(path, "%s is the first host of %s, which Docker gives the gateway (the host's bridge)", a, subnet)
	case a.Is4() && a == lastAddr(subnet):
		v.add(path, "%s is the broadcast address of %s", a, subnet)
	case err == nil && dyn.Contains(a):
		v.add(path, "%s is in the upper half of %s (%s), which Docker allocates to the kind nodes; use the lower half", a, subnet, dyn)
	}
}

// ---------------------------------------------------------------------------------------
// routers

// addresses checks the interfaces of the routers and the addresses of the clients, and
// records every static address with its owner.
func (v *validator) addresses() {
	t := v.t
	for i, r := range t.Routers {
		rp := v.routerPath[i]
		if len(r.Interfaces) == 0 {
			v.add(join(rp, "interfaces"), "at least one interface is required")
		}
		seen := map[string]int{}
		for j, a := range r.Interfaces {
			ap := index(join(rp, "interfaces"), strconv.Itoa(j))
			n, ok := v.netRef(join(ap, "network"), a.Network)
			if ok {
				if k, dup := seen[a.Network]; dup {
					v.add(join(ap, "network"), "router is already on network %q (interfaces[%d])", a.Network, k)
					ok = false
				} else {
					seen[a.Network] = j
				}
			}
			v.staticAddrs(ap, a.IPv4, a.IPv6, n, ok, r.Name)
		}
	}
	for i, c := range t.Clients {
		n, ok := v.netRef(join(v.clientPath[i], "network"), c.Network)
		v.staticAddrs(v.clientPath[i], c.IPv4, c.IPv6, n, ok, "")
	}
}

func (v *validator) routers() {
	t := v.t
	routerIDs := map[netip.Addr]string{}
	for i, r := range t.Routers {
		rp := v.routerPath[i]
		v.asn(join(rp, "asn"), r.ASN, "required")
		switch r.Role {
		case RoleEdge, RoleTransit:
		case "":
			v.add(join(rp, "role"), "not set (WithDefaults sets edge)")
		default:
			v.add(join(rp, "role"), "%q: must be edge or transit", r.Role)
		}
		v.routerID(rp, r, routerIDs)
		switch {
		case r.ECMP && r.MaxPaths == 0:
			v.add(join(rp, "maxPaths"), "not set (WithDefaults sets %d)", DefaultMaxPaths)
		case r.ECMP && (r.MaxPaths < 2 || r.MaxPaths > 128):
			v.add(join(rp, "maxPaths"), "%d: must be 2..128", r.MaxPaths)
		case !r.ECMP && r.MaxPaths != 0:
			v.add(join(rp, "maxPaths"), "%d, but ecmp is false", r.MaxPaths)
		}
		v.peers(rp, r)
		attached := mapSlice(r.Interfaces, func(a Attachment) string { return a.Network })
		for j, rt := range r.Routes {
			v.route(index(join(rp, "routes"), strconv.Itoa(j)), rt, r.Name, attached)
		}
		v.multiHopRoutes(rp, r)
	}
}

func (v *validator) routerID(rp string, r Router, seen map[netip.Addr]string) {
	p := join(rp, "routerID")
	if !r.RouterID.IsValid() {
		for _, a := range r.Interfaces {
			if a.IPv4.IsValid() {
				v.add(p, "not set (WithDefaults uses the first IPv4 address)")
				return
			}
		}
		v.add(p, "required: the router has no IPv4 address to take it from")
		return
	}
	if !r.RouterID.Is4() {
		v.add(p, "%s: a BGP router ID is an IPv4 address", r.RouterID)
		return
	}
	if other, dup := seen[r.RouterID]; dup {
		v.add(p, "%s is also the router ID of %s", r.RouterID, other)
		return
	}
	seen[r.RouterID] = rp
}

// peers checks one router's BGP peers.
func (v *validator) peers(rp string, r Router) {
	t := v.t
	nodesSeen := -1
	routerSeen := map[string]int{}
	for j, p := range r.Peers {
		pp := index(join(rp, "peers"), strconv.Itoa(j))
		switch {
		case p.Nodes && p.Router != "":
			v.add(pp, "set either nodes: true or router, not both")
			continue
		case !p.Nodes && p.Router == "":
			v.add(pp, "set nodes: true or router: <name>")
			continue
		}
		asnOK := p.ASN == 0 || v.asn(join(pp, "asn"), p.ASN, "")
		if p.Nodes {
			if nodesSeen >= 0 {
				v.add(join(pp, "nodes"), "the router already peers with the nodes (peers[%d])", nodesSeen)
				continue
			}
			nodesSeen = j
			if r.Role == RoleTransit {
				v.add(join(pp, "nodes"), "a transit router does not peer with the nodes; make the router role edge")
			}
			if p.Network != "" {
				v.add(join(pp, "network"), "not used for the nodes: they are on cluster.network")
			}
			if p.AddPathAll {
				v.add(join(pp, "addPathAll"), "only for router peers: MetalLB refuses every route it is sent")
			}
			switch {
			case p.ASN == 0:
				v.add(join(pp, "asn"), "not set (WithDefaults uses metallb.asn)")
			case asnOK && validASN(t.MetalLB.ASN) && p.ASN != t.MetalLB.ASN:
				v.add(join(pp, "asn"), "%d, but metallb.asn is %d", p.ASN, t.MetalLB.ASN)
			}
			if _, on := r.Interface(t.Cluster.Network); !on && !p.MultiHop && t.Cluster.Network != "" {
				v.add(join(pp, "multiHop"), "the router is not on the nodes' network %q: the session needs multiHop: true", t.Cluster.Network)
			}
			if !v.listedInMetalLB(r.Name) {
				v.add(join(pp, "nodes"), "router %q peers with the nodes but is not in metallb.peers", r.Name)
			}
			continue
		}
		rpath := join(pp, "router")
		q, ok := v.routerRef(rpath, p.Router)
		if !ok {
			continue
		}
		if q.Name == r.Name {
			v.add(rpath, "a router cannot peer with itself")
			continue
		}
		if k, dup := routerSeen[q.Name]; dup {
			v.add(rpath, "already peers with %q (peers[%d])", q.Name, k)
			continue
		}
		routerSeen[q.Name] = j
		switch {
		case p.ASN == 0:
			v.add(join(pp, "asn"), "not set (WithDefaults uses router %q's asn)", q.Name)
		case asnOK && validASN(q.ASN) && p.ASN != q.ASN:
			v.add(join(pp, "asn"), "%d, but router %q has asn %d", p.ASN, q.Name, q.ASN)
		}
		shared := t.sharedNetwork(r, q)
		switch {
		case p.Network == "" && shared != "":
			v.add(join(pp, "network"), "not set (WithDefaults uses %q)", shared)
		case p.Network == "":
			v.add(join(pp, "network"), "required: %q and %q share no network; name the network of %q's address (and set multiHop)", r.Name, q.Name, q.Name)
		default:
			if n, ok := v.netRef(join(pp, "network"), p.Network); ok {
				if _, on := q.Interface(n.Name); !on {
					v.add(join(pp, "network"), "router %q is not on network %q", q.Name, n.Name)
				} else if _, on := r.Interface(n.Name); !on && !p.MultiHop {
					v.add(join(pp, "multiHop"), "router %q is not on network %q: the session to %q needs multiHop: true", r.Name, n.Name, q.Name)
				}
			}
		}
		v.peerSymmetry(pp, r, p, q)
	}
}

// peerSymmetry checks that q has a matching peer entry for r: BGP sessions are configured
// on both sides.
func (v *validator) peerSymmetry(pp string, r Router, p Peer, q Router) {
	var back *Peer
	for k := range q.Peers {
		if q.Peers[k].Router == r.Name {
			back = &q.Peers[k]
			break
		}
	}
	if back == nil {
		v.add(join(pp, "router"), "router %q has no peer for %q; a session must be configured on both sides", q.Name, r.Name)
		return
	}
	// Report a disagreement once, on the side whose name sorts first.
	if r.Name > q.Name {
		return
	}
	if back.BFD != p.BFD {
		v.add(join(pp, "bfd"), "%t, but %q's peer for %q has bfd %t", p.BFD, q.Name, r.Name, back.BFD)
	}
	if _, on := r.Interface(p.Network); on && p.Network != "" && back.Network != "" && back.Network != p.Network {
		v.add(join(pp, "network"), "%q, but %q's peer for %q uses network %q: both sides must use one shared network", p.Network, q.Name, r.Name, back.Network)
	}
}

// listedInMetalLB reports whether a MetalLB peer names the router.
func (v *validator) listedInMetalLB(router string) bool {
	for _, p := range v.t.MetalLB.Peers {
		if p.Router == router {
			return true
		}
	}
	return false
}

// multiHopRoutes checks that a router peering with the nodes from another network can
// resolve the next hops MetalLB announces: the nodes' addresses on the nodes' network.
func (v *validator) multiHopRoutes(rp string, r Router) {
	c := v.t.Cluster
	if _, ok := r.NodesPeer(); !ok {
		return
	}
	if _, on := r.Interface(c.Network); on {
		return
	}
	n, ok := v.network(c.Network)
	if !ok {
		return
	}
	for _, f := range v.fam.Families() {
		subnet, ok := n.Subnet(f)
		if !ok {
			continue
		}
		if !slices.ContainsFunc(r.Routes, func(rt StaticRoute) bool { return rt.Prefix.IsValid() && covers(rt.Prefix, subnet) }) {
			v.add(join(rp, "routes"), "no route to the nodes' network %q (%s): the next hops MetalLB announces are node addresses there", n.Name, subnet)
		}
	}
}

// route checks a static route of router owner ("" for the nodes), attached to networks.
func (v *validator) route(path string, rt StaticRoute, owner string, networks []string) {
	pp := join(path, "prefix")
	vp := join(path, "via")
	prefixOK := false
	switch {
	case !rt.Prefix.IsValid():
		v.add(pp, "required")
	case rt.Prefix.Addr().Is4():
		prefixOK = v.prefix(pp, rt.Prefix, IPv4)
	default:
		prefixOK = v.prefix(pp, rt.Prefix, IPv6)
	}
	if !rt.Via.IsValid() {
		v.add(vp, "required")
		return
	}
	if rt.Via.Zone() != "" || rt.Via.Is4In6() {
		v.add(vp, "%s: use a plain IPv4 or IPv6 address", rt.Via)
		return
	}
	if prefixOK && rt.Prefix.Addr().Is4() != rt.Via.Is4() {
		v.add(vp, "%s is not of the same family as %s", rt.Via, rt.Prefix)
		return
	}
	o, isLab := v.addrs[rt.Via]
	switch {
	case isLab && o.router == owner && owner != "":
		v.add(vp, "%s is the router's own address", rt.Via)
	case isLab && o.router == "":
		v.add(vp, "%s is a client's address (%s); next hops are routers", rt.Via, o.path)
	case isLab && slices.Contains(networks, o.network):
		// a lab router on a network the owner shares: fine.
	default:
		quoted := mapSlice(networks, strconv.Quote)
		where := "network " + strings.Join(quoted, ", ")
		if len(networks) > 1 {
			where = "networks " + strings.Join(quoted, ", ")
		}
		v.add(vp, "%s is not the address of a lab router on %s", rt.Via, where)
	}
}

// ---------------------------------------------------------------------------------------
// clients

func (v *validator) clients() {
	t := v.t
	for i, c := range t.Clients {
		cp := v.clientPath[i]
		_, ok := v.network(c.Network)
		r, rok := v.routerRef(join(cp, "via"), c.Via)
		if !ok || !rok {
			continue
		}
		if _, on := r.Interface(c.Network); !on {
			v.add(join(cp, "via"), "router %q is not on the client's network %q", r.Name, c.Network)
			continue
		}
		if !v.reachesNodes(r.Name) {
			v.add(join(cp, "via"), "router %q neither peers with the nodes nor reaches over BGP a router that does: the client has no path to the pools", r.Name)
		}
	}
}

// reachesNodes reports whether the router peers with the nodes or is connected, through
// BGP sessions between routers, to one that does.
func (v *validator) reachesNodes(start string) bool {
	adj := map[string][]string{}
	for _, r := range v.t.Routers {
		for _, p := range r.Peers {
			if p.Router != "" && !p.Nodes {
				adj[r.Name] = append(adj[r.Name], p.Router)
				adj[p.Router] = append(adj[p.Router], r.Name)
			}
		}
	}
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if r, ok := v.router(name); ok {
			if _, peers := r.NodesPeer(); peers {
				return true
			}
		}
		for _, next := range adj[name] {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return false
}

// ---------------------------------------------------------------------------------------
// metallb

func (v *validator) metallb() {
	t := v.t
	m := t.MetalLB
	v.asn("metallb.asn", m.ASN, "required")

	if len(m.Pools) == 0 {
		v.add("metallb.pools", "at least one pool is required")
	}
	hasFamily := map[bool]bool{} // key: is IPv6
	for i, p := range m.Pools {
		pp := v.poolPath[i]
		if len(p.Addresses) == 0 {
			v.add(join(pp, "addresses"), "at least one CIDR or range is required")
		}
		for j, s := range p.Addresses {
			ap := index(join(pp, "addresses"), strconv.Itoa(j))
			r, err := ParsePoolAddress(s)
			if err != nil {
				v.add(ap, "%v", err)
				continue
			}
			f := IPv4
			if r.Is6() {
				f = IPv6
			}
			if v.fam != "" && !slices.Contains(v.fam.Families(), f) {
				v.add(ap, "%s addresses, but %s", familyName(r.From), v.familyReason())
				continue
			}
			if !r.From.IsGlobalUnicast() || !r.To.IsGlobalUnicast() {
				v.add(ap, "%q is not a unicast range", s)
				continue
			}
			hasFamily[r.Is6()] = true
			v.spaces = append(v.spaces, space{path: ap, r: r, text: s})
		}
	}
	if len(m.Pools) > 0 {
		for _, f := range v.fam.Families() {
			if !hasFamily[f == IPv6] {
				v.add("metallb.pools", "no %s addresses, but %s", f, v.familyReason())
			}
		}
	}

	for i, b := range m.BFDProfiles {
		bp := v.profilePath[i]
		v.bfdInterval(join(bp, "receiveInterval"), b.ReceiveInterval)
		v.bfdInterval(join(bp, "transmitInterval"), b.TransmitInterval)
		switch {
		case b.DetectMultiplier == 0:
			v.add(join(bp, "detectMultiplier"), "not set (WithDefaults sets %d)", DefaultBFDMultiplier)
		case b.DetectMultiplier < 2 || b.DetectMultiplier > 255:
			v.add(join(bp, "detectMultiplier"), "%d: must be 2..255", b.DetectMultiplier)
		}
	}

	if len(m.Peers) == 0 {
		v.add("metallb.peers", "at least one peer is required")
	}
	type key struct{ router, network string }
	seen := map[key]int{}
	for i, p := range m.Peers {
		pp := v.mlbPeerPath[i]
		if k, dup := seen[key{p.Router, p.Network}]; dup && p.Router != "" {
			v.add(pp, "duplicate of metallb.peers[%d] (router %q, network %q)", k, p.Router, p.Network)
			continue
		}
		seen[key{p.Router, p.Network}] = i
		v.metallbPeer(pp, p)
	}

	v.advertisements()
}

func (v *validator) bfdInterval(path string, ms uint32) {
	switch {
	case ms == 0:
		v.add(path, "not set (WithDefaults sets %d)", DefaultBFDInterval)
	case ms < 10 || ms > 60000:
		v.add(path, "%d ms: must be 10..60000", ms)
	}
}

func (v *validator) metallbPeer(pp string, p MetalLBPeer) {
	t := v.t
	c := t.Cluster
	r, ok := v.routerRef(join(pp, "router"), p.Router)
	if !ok {
		return
	}
	nodesPeer, peersNodes := r.NodesPeer()
	if !peersNodes {
		v.add(join(pp, "router"), "router %q does not peer with the nodes (add {nodes: true} to its peers)", r.Name)
	}
	switch {
	case p.ASN == 0:
		v.add(join(pp, "asn"), "not set (WithDefaults uses router %q's asn)", r.Name)
	case v.asn(join(pp, "asn"), p.ASN, "") && validASN(r.ASN) && p.ASN != r.ASN:
		v.add(join(pp, "asn"), "%d, but router %q has asn %d", p.ASN, r.Name, r.ASN)
	}
	ibgp := p.ASN != 0 && p.ASN == t.MetalLB.ASN
	if ibgp && p.EBGPMultiHop {
		v.add(join(pp, "ebgpMultiHop"), "not allowed for an iBGP peer (asn equals metallb.asn); MetalLB refuses it")
	}

	// Network and addresses.
	var att Attachment
	netOK := false
	_, onNodes := r.Interface(c.Network)
	switch {
	case p.Network == "" && onNodes:
		v.add(join(pp, "network"), "not set (WithDefaults uses the nodes' network %q)", c.Network)
	case p.Network == "":
		v.add(join(pp, "network"), "required: router %q is not on the nodes' network %q; name the network of its address and set ebgpMultiHop", r.Name, c.Network)
	default:
		if n, ok := v.netRef(join(pp, "network"), p.Network); ok {
			if a, on := r.Interface(n.Name); !on {
				v.add(join(pp, "network"), "router %q is not on network %q", r.Name, n.Name)
			} else {
				att, netOK = a, true
			}
		}
	}
	multiHop := netOK && p.Network != c.Network
	if multiHop && !p.EBGPMultiHop && !ibgp {
		v.add(join(pp, "ebgpMultiHop"), "router %q is reached on %q, not on the nodes' network %q: set ebgpMultiHop: true", r.Name, p.Network, c.Network)
	}
	if peersNodes && p.EBGPMultiHop && !nodesPeer.MultiHop {
		v.add(join(pp, "ebgpMultiHop"), "true, but router %q's peer for the nodes has multiHop false", r.Name)
	}
	for _, f := range []IPFamily{IPv4, IPv6} {
		fp := join(pp, string(f))
		a := p.IPv4
		if f == IPv6 {
			a = p.IPv6
		}
		need := slices.Contains(v.fam.Families(), f)
		switch {
		case !a.IsValid() && need && netOK:
			v.add(fp, "not set (%s; WithDefaults uses router %q's address on %q)", v.familyReason(), r.Name, p.Network)
		case !a.IsValid():
		case !need && v.fam != "":
			v.add(fp, "set, but %s", v.familyReason())
		case !v.addrFamily(fp, a, f):
		case netOK && a != att.Addr(f):
			v.add(fp, "%s is not router %q's %s address on %q", a, r.Name, f, p.Network)
		case multiHop:
			if !slices.ContainsFunc(c.Routes, func(rt StaticRoute) bool { return rt.Prefix.IsValid() && rt.Prefix.Contains(a) }) {
				v.add(fp, "the nodes have no route to %s: add a cluster.routes entry via a router on %q", a, c.Network)
			}
		}
	}

	// BFD.
	if p.BFDProfile != "" {
		bi, ok := v.profileIdx[p.BFDProfile]
		if !ok {
			v.add(join(pp, "bfdProfile"), "unknown BFD profile %q (%s)", p.BFDProfile, known(v.profileIdx))
		} else if b := t.MetalLB.BFDProfiles[bi]; b.EchoMode {
			if multiHop || p.EBGPMultiHop {
				v.add(join(pp, "bfdProfile"), "profile %q has echoMode, which BFD allows on single-hop sessions only", b.Name)
			} else if v.fam.HasIPv6() {
				v.add(join(pp, "bfdProfile"), "profile %q has echoMode, which MetalLB refuses with IPv6 pools", b.Name)
			}
		}
	}
	if peersNodes && nodesPeer.BFD != (p.BFDProfile != "") {
		if nodesPeer.BFD {
			v.add(join(pp, "bfdProfile"), "not set, but router %q's peer for the nodes has bfd: true; BFD would never come up", r.Name)
		} else {
			v.add(join(pp, "bfdProfile"), "%q, but router %q's peer for the nodes has bfd: false; BFD would never come up", p.BFDProfile, r.Name)
		}
	}

	// Timers, in whole seconds as FRR takes them.
	switch ct := p.ConnectTime.Std(); {
	case ct == 0:
		v.add(join(pp, "connectTime"), "not set (WithDefaults sets %s)", DefaultConnectTime)
	case !wholeSeconds(ct) || ct < time.Second || ct > 65535*time.Second:
		v.add(join(pp, "connectTime"), "%s: must be whole seconds, 1s..65535s", ct)
	}
	ht, kt := p.HoldTime.Std(), p.KeepaliveTime.Std()
	switch {
	case ht < 0 || !wholeSeconds(ht) || (ht > 0 && ht < 3*time.Second) || ht > 65535*time.Second:
		v.add(join(pp, "holdTime"), "%s: must be 0 (MetalLB's default) or whole seconds, 3s..65535s", ht)
	case kt < 0 || !wholeSeconds(kt) || kt > 65535*time.Second:
		v.add(join(pp, "keepaliveTime"), "%s: must be 0 (MetalLB's default) or whole seconds", kt)
	case ht > 0 && kt > ht:
		v.add(join(pp, "keepaliveTime"), "%s is longer than holdTime %s", kt, ht)
	case ht == 0 && kt > 0 && kt < time.Second:
		v.add(join(pp, "keepaliveTime"), "%s: must be at least 1s", kt)
	}
}

func wholeSeconds(d time.Duration) bool { return d%time.Second == 0 }

var (
	communityRE      = regexp.MustCompile(`^[0-9]+:[0-9]+$`)
	largeCommunityRE = regexp.MustCompile(`^large:[0-9]+:[0-9]+:[0-9]+$`)
)

func (v *validator) advertisements() {
	m := v.t.MetalLB
	if len(m.Advertisements) == 0 && len(m.Pools) > 0 {
		v.add("metallb.advertisements", "none: no pool would be announced (WithDefaults adds one for every pool)")
	}
	advertised := map[string]bool{}
	for i, a := range m.Advertisements {
		ap := index("metallb.advertisements", strconv.Itoa(i))
		if len(a.Pools) == 0 {
			for _, p := range m.Pools {
				advertised[p.Name] = true
			}
		}
		for j, name := range a.Pools {
			if _, ok := v.poolIdx[name]; !ok {
				v.add(index(join(ap, "pools"), strconv.Itoa(j)), "unknown pool %q (%s)", name, known(v.poolIdx))
			}
			advertised[name] = true
		}
		for j, c := range a.Communities {
			cp := index(join(ap, "communities"), strconv.Itoa(j))
			if msg := communityProblem(c); msg != "" {
				v.add(cp, "%q: %s", c, msg)
			}
		}
	}
	if len(m.Advertisements) == 0 {
		return
	}
	for i, p := range m.Pools {
		if p.Name != "" && !advertised[p.Name] {
			v.add(v.poolPath[i], "no advertisement announces this pool")
		}
	}
}

func communityProblem(c string) string {
	switch {
	case communityRE.MatchString(c):
		a, b, _ := strings.Cut(c, ":")
		if !fitsBits(a, 16) || !fitsBits(b, 16) {
			return "each part of a community must be 0..65535"
		}
	case largeCommunityRE.MatchString(c):
		for _, part := range strings.Split(strings.TrimPrefix(c, "large:"), ":") {
			if !fitsBits(part, 32) {
				return "each part of a large community must be 0..4294967295"
			}
		}
	default:
		return `want "ASN:value" or "large:A:B:C"`
	}
	return ""
}

func fitsBits(s string, bits int) bool {
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}

// ---------------------------------------------------------------------------------------
// workload

func (v *validator) workload() {
	w := v.t.Workload
	switch {
	case w.Replicas == 0:
		v.add("workload.replicas", "not set (WithDefaults uses the number of announcing nodes)")
	case w.Replicas < 0:
		v.add("workload.replicas", "%d: must be at least 1", w.Replicas)
	}
	switch w.ExternalTrafficPolicy {
	case ETPCluster, ETPLocal:
	case "":
		v.add("workload.externalTrafficPolicy", "not set (WithDefaults sets Cluster)")
	default:
		v.add("workload.externalTrafficPolicy", "%q: must be Cluster or Local", w.ExternalTrafficPolicy)
	}
	switch {
	case w.Port == 0:
		v.add("workload.port", "not set (WithDefaults sets %d)", DefaultPort)
	case w.Port < 1 || w.Port > 65535:
		v.add("workload.port", "%d: must be 1..65535", w.Port)
	}
}

// ---------------------------------------------------------------------------------------
// overlaps

// overlaps reports every pair of lab networks, pod and service subnets and pool ranges that
// share an address, on the later of the two.
func (v *validator) overlaps() {
	for i, s := range v.spaces {
		for _, o := range v.spaces[:i] {
			if s.r.Overlaps(o.r) {
				v.add(s.path, "%s overlaps %s (%s)", s.text, o.path, o.text)
			}
		}
	}
}
