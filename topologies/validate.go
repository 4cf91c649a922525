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
	v.l2()
	v.backend()
	v.receive()
	v.services()
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
	advPath, svcPath                       []string

	// parsed addresses of each pool (in metallb.pools order), those that passed the checks.
	poolAddrs [][]poolAddr

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
	// nodes marks the nodes' network, l2 an L2 pool's range: an L2 pool
	// lies inside the nodes' network by design (see validator.l2).
	nodes, l2 bool
}

func newValidator(t *Topology) *validator {
	v := &validator{t: t, fam: t.Cluster.IPFamily, addrs: map[netip.Addr]addrOwner{}}
	v.netPath = paths("networks", networkNames(t))
	v.routerPath = paths("routers", routerNames(t))
	v.clientPath = paths("clients", mapSlice(t.Clients, func(c Client) string { return c.Name }))
	v.poolPath = paths("metallb.pools", mapSlice(t.MetalLB.Pools, func(p Pool) string { return p.Name }))
	v.profilePath = paths("metallb.bfdProfiles", mapSlice(t.MetalLB.BFDProfiles, func(b BFDProfile) string { return b.Name }))
	v.mlbPeerPath = paths("metallb.peers", make([]string, len(t.MetalLB.Peers)))
	v.advPath = paths("metallb.advertisements", mapSlice(t.MetalLB.Advertisements, func(a BGPAdvertisement) string { return a.Name }))
	v.svcPath = paths("services", mapSlice(t.Services, func(s Service) string { return s.Name }))
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
	case c.KubernetesVersion != DefaultKubernetesVersion && c.NodeImage == "":
		// The harness builds node images for one version only (the one its kind release and
		// the host's cgroup setup are known to work with); any other needs an image.
		v.add("cluster.kubernetesVersion", "%s cannot be built here: only %s can; use %s, or set cluster.nodeImage to a kind node image of %s",
			c.KubernetesVersion, DefaultKubernetesVersion, DefaultKubernetesVersion, c.KubernetesVersion)
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
			v.spaces = append(v.spaces, space{path: fp, r: PrefixRange(p), text: p.String(), nodes: n.Name == t.Cluster.Network})
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
// address, not the broadcast address, and in the lower half that Docker's dynamic
// allocation (and the gateway, see Gateway) never uses.
func (v *validator) static(path string, a netip.Addr, subnet netip.Prefix, network string) {
	subnet = subnet.Masked()
	dyn, err := DynamicRange(subnet)
	switch {
	case !subnet.Contains(a):
		v.add(path, "%s is outside network %q (%s)", a, network, subnet)
	case a == subnet.Addr():
		v.add(path, "%s is the network address of %s", a, subnet)
	case a.Is4() && a == lastAddr(subnet):
		v.add(path, "%s is the broadcast address of %s", a, subnet)
	case err == nil && dyn.Contains(a):
		v.add(path, "%s is in the upper half of %s (%s), which Docker allocates to the kind nodes; use the lower half", a, subnet, dyn)
	}
}

// ---------------------------------------------------------------------------------------
// overlaps

// overlaps reports every pair of lab networks, pod and service subnets and pool ranges that
// share an address, on the later of the two.
func (v *validator) overlaps() {
	for i, s := range v.spaces {
		for _, o := range v.spaces[:i] {
			if (s.l2 && o.nodes) || (s.nodes && o.l2) {
				continue
			}
			if s.r.Overlaps(o.r) {
				v.add(s.path, "%s overlaps %s (%s)", s.text, o.path, o.text)
			}
		}
	}
}
