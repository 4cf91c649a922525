package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// The oracle derives, from the topology alone plus the live facts it cannot
// know (node addresses, assigned service IPs, nodes with ready backends),
// the routing state every router should hold, and compares the whole of it
// with what each router reports. A scenario is then data: its topology
// change, not new check code.

// Expectation is the routing state the lab should be in.
type Expectation struct {
	Plan *harness.Plan
	// Services holds each service's assigned IPs and the nodes running one
	// of its ready backends.
	Services map[string]ServiceFacts
	// Routers holds, by router name, the routes it must have. Any other
	// route inside the pools' address space must be absent.
	Routers map[string]RouterRoutes
	// pending are the services without an address that the scenario says
	// must stay pending; problems are facts that contradict the topology
	// (a service without an address, an address outside its pool).
	pending  []string
	problems []error
	space    []topologies.AddrRange
}

// ServiceFacts are what the cluster says about one service.
type ServiceFacts struct {
	IPs      []netip.Addr
	Backends map[string]bool // node short names with a ready backend
	Events   []string
}

// RouterRoutes are the routes one router must hold.
type RouterRoutes struct {
	Routes []ExpectedRoute
}

// ExpectedRoute is one prefix as a router should see it.
type ExpectedRoute struct {
	Prefix netip.Prefix
	// NextHops are the BGP next hops of its valid paths (the announcing
	// nodes); KernelNextHops what the kernel should install after FRR
	// resolves them (the same, or the router's gateway towards them).
	NextHops, KernelNextHops []netip.Addr
	// OneKernelHop is set on routers without ECMP: the kernel holds exactly
	// one of KernelNextHops.
	OneKernelHop bool
	// Attributes are only compared where CheckAttrs is set (routes learned
	// straight from the speakers).
	CheckAttrs       bool
	Communities      []string
	LargeCommunities []string
	// LocalPref is the LOCAL_PREF the router must see; 0 means none is
	// sent (eBGP) and the router's own default applies.
	LocalPref uint32
	// Paths holds the attributes per next hop: advertisements with node
	// selectors tag one node's announcement and not another's. The fields
	// above are their union, for display.
	Paths map[netip.Addr]PathAttrs
	// Why names the services and advertisements behind the route.
	Why string
}

// PathAttrs are the attributes one node's announcement carries.
type PathAttrs struct {
	Communities, LargeCommunities []string
	// LocalPref is the LOCAL_PREF an advertisement sets (iBGP); 0 means
	// none is sent, unless ZeroLocalPref: the backend sends 0 when no
	// advertisement sets one (topologies.Backend.IBGPZeroLocalPref).
	LocalPref     uint32
	ZeroLocalPref bool
}

// ExpectOption adjusts what the oracle expects.
type ExpectOption func(*Expectation)

// Pending says the named services must have no address (an exhausted pool):
// the oracle then expects no route for them and reports an address as a
// difference.
func Pending(services ...string) ExpectOption {
	return func(e *Expectation) { e.pending = append(e.pending, services...) }
}

// Expect builds the lab's expected routing state.
func Expect(ctx context.Context, lab *harness.Lab, opts ...ExpectOption) (*Expectation, error) {
	p, err := lab.Plan(ctx)
	if err != nil {
		return nil, err
	}
	facts := map[string]ServiceFacts{}
	for _, s := range p.Topology.Services {
		ips, err := lab.ServiceIPs(ctx, s.Name)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		backends, err := lab.BackendNodes(ctx, s.Name)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		f := ServiceFacts{IPs: ips, Backends: backends}
		if len(ips) == 0 {
			f.Events, _ = lab.ServiceEvents(ctx, s.Name)
		}
		facts[s.Name] = f
	}
	e := NewExpectation(p, facts, opts...)
	return e, nil
}

// NewExpectation derives the expectation from a plan and the live facts.
func NewExpectation(p *harness.Plan, facts map[string]ServiceFacts, opts ...ExpectOption) *Expectation {
	e := &Expectation{Plan: p, Services: facts, Routers: map[string]RouterRoutes{}}
	for _, o := range opts {
		o(e)
	}
	t := p.Topology
	for _, pool := range t.MetalLB.Pools {
		if t.MetalLB.L2Pool(pool.Name) {
			// Inside the nodes' network, whose connected routes the
			// routers hold: not the oracle's address space.
			continue
		}
		rs, _ := pool.Ranges()
		e.space = append(e.space, rs...)
	}
	e.checkAssignments()

	// Direct routes: what each router hears from the speakers.
	type key struct {
		router string
		prefix netip.Prefix
	}
	direct := map[key]*ExpectedRoute{}
	var order []key
	for _, s := range t.Services {
		if slices.Contains(e.pending, s.Name) {
			continue
		}
		f := facts[s.Name]
		for _, ip := range f.IPs {
			pool, ok := poolOf(t, ip)
			if !ok || t.MetalLB.L2Pool(pool.Name) {
				// An L2 pool's addresses are answered for by ARP or NDP on
				// the nodes' network, never routed (see L2Announced).
				continue
			}
			for _, ad := range t.MetalLB.Advertisements {
				if len(ad.Pools) > 0 && !slices.Contains(ad.Pools, pool.Name) {
					continue
				}
				prefix := aggregate(ip, ad)
				for _, pp := range p.Peers {
					if pp.Address.Is6() != ip.Is6() {
						continue
					}
					if len(ad.Peers) > 0 && !slices.Contains(ad.Peers, pp.Router) {
						continue
					}
					for _, n := range p.Nodes {
						if !announces(n, s, f, ad, pp) {
							continue
						}
						k := key{pp.Router, prefix}
						r, ok := direct[k]
						if !ok {
							r = &ExpectedRoute{Prefix: prefix, CheckAttrs: true}
							direct[k] = r
							order = append(order, k)
						}
						hop := n.Addr(ip.Is6())
						r.NextHops = appendUnique(r.NextHops, hop)
						if r.Paths == nil {
							r.Paths = map[netip.Addr]PathAttrs{}
						}
						pa := r.Paths[hop]
						for _, c := range ad.Communities {
							if large, ok := strings.CutPrefix(c, "large:"); ok {
								r.LargeCommunities = appendUniqueString(r.LargeCommunities, large)
								pa.LargeCommunities = appendUniqueString(pa.LargeCommunities, large)
							} else {
								r.Communities = appendUniqueString(r.Communities, frrCommunity(c))
								pa.Communities = appendUniqueString(pa.Communities, frrCommunity(c))
							}
						}
						switch {
						case pp.IBGP && ad.LocalPref != 0:
							r.LocalPref = ad.LocalPref
							pa.LocalPref = ad.LocalPref
						case pp.IBGP && t.MetalLB.Backend.IBGPZeroLocalPref():
							pa.ZeroLocalPref = true
						}
						slices.Sort(pa.Communities)
						slices.Sort(pa.LargeCommunities)
						r.Paths[hop] = pa
						r.Why = appendWhy(r.Why, fmt.Sprintf("service %s (%s) by %s", s.Name, ip, ad.Name))
					}
				}
			}
		}
	}
	for _, k := range order {
		r := direct[k]
		rp := p.Routers[k.router]
		e.add(k.router, finish(*r, rp, t))
	}
	// Routes passed on between routers (multi-hop builtin: edge to transit
	// by iBGP with add-path). One level: what a router heard from the
	// speakers, its router peers hear from it.
	for _, r := range t.Routers {
		for _, peer := range r.Peers {
			if peer.Router == "" {
				continue
			}
			from, _ := t.Router(peer.Router)
			var back topologies.Peer
			for _, q := range from.Peers {
				if q.Router == r.Name {
					back = q
				}
			}
			ibgp := from.ASN == r.ASN
			for _, k := range order {
				if k.router != from.Name {
					continue
				}
				src := direct[k]
				if slices.Contains(src.Communities, frrCommunity("no-advertise")) ||
					(!ibgp && slices.Contains(src.Communities, frrCommunity("no-export"))) {
					continue
				}
				via := ExpectedRoute{Prefix: src.Prefix, Why: src.Why + " via router " + from.Name}
				switch {
				case ibgp && back.AddPathAll:
					via.NextHops = slices.Clone(src.NextHops)
				case ibgp:
					// One best path, whichever node it is.
					via.NextHops = slices.Clone(src.NextHops)
					via.OneKernelHop = true
				default:
					att, _ := from.Interface(peer.Network)
					via.NextHops = []netip.Addr{att.Addr(topologies.FamilyOf(src.Prefix.Addr()))}
				}
				e.add(r.Name, finish(via, p.Routers[r.Name], t))
			}
		}
	}
	return e
}

// add records a route for a router, merging with one for the same prefix.
func (e *Expectation) add(router string, r ExpectedRoute) {
	rr := e.Routers[router]
	for i := range rr.Routes {
		if rr.Routes[i].Prefix == r.Prefix {
			x := &rr.Routes[i]
			for _, a := range r.NextHops {
				x.NextHops = appendUnique(x.NextHops, a)
			}
			for _, a := range r.KernelNextHops {
				x.KernelNextHops = appendUnique(x.KernelNextHops, a)
			}
			x.Why = appendWhy(x.Why, r.Why)
			e.Routers[router] = rr
			return
		}
	}
	rr.Routes = append(rr.Routes, r)
	slices.SortFunc(rr.Routes, func(a, b ExpectedRoute) int { return a.Prefix.Addr().Compare(b.Prefix.Addr()) })
	e.Routers[router] = rr
}

// finish sorts the next hops and works out the kernel's.
func finish(r ExpectedRoute, rp harness.RouterPlan, t topologies.Topology) ExpectedRoute {
	slices.SortFunc(r.NextHops, netip.Addr.Compare)
	slices.Sort(r.Communities)
	slices.Sort(r.LargeCommunities)
	r.KernelNextHops = nil
	for _, nh := range r.NextHops {
		if k, ok := resolve(rp.Router, t, nh); ok {
			r.KernelNextHops = appendUnique(r.KernelNextHops, k)
		}
	}
	slices.SortFunc(r.KernelNextHops, netip.Addr.Compare)
	if !rp.Router.ECMP {
		r.OneKernelHop = true
	} else if rp.Router.MaxPaths > 0 && len(r.KernelNextHops) > rp.Router.MaxPaths {
		r.OneKernelHop = false
	}
	return r
}

// resolve is the gateway the router's kernel uses for a BGP next hop: the
// next hop itself on a network the router is on, else the gateway of its
// longest static route that covers it.
func resolve(r topologies.Router, t topologies.Topology, nh netip.Addr) (netip.Addr, bool) {
	for _, a := range r.Interfaces {
		n, _ := t.Network(a.Network)
		for _, sub := range []netip.Prefix{n.IPv4, n.IPv6} {
			if sub.IsValid() && sub.Contains(nh) {
				return nh, true
			}
		}
	}
	best := -1
	var via netip.Addr
	for _, rt := range r.Routes {
		if rt.Prefix.Contains(nh) && rt.Prefix.Bits() > best {
			best, via = rt.Prefix.Bits(), rt.Via
		}
	}
	return via, best >= 0
}

// announces: does the node announce the service's address to the peer
// under the advertisement?
func announces(n harness.Node, s topologies.Service, f ServiceFacts, ad topologies.BGPAdvertisement, pp harness.PlannedPeer) bool {
	if !n.Announces || !n.Addr(pp.Address.Is6()).IsValid() {
		return false
	}
	if !slices.Contains(pp.Nodes, n.Short()) {
		return false
	}
	if len(ad.Nodes) > 0 && !slices.Contains(ad.Nodes, n.Short()) {
		return false
	}
	if s.ExternalTrafficPolicy == topologies.ETPLocal && !f.Backends[n.Short()] {
		return false
	}
	return true
}

// aggregate is the prefix an advertisement announces for an address.
func aggregate(ip netip.Addr, ad topologies.BGPAdvertisement) netip.Prefix {
	bits := ip.BitLen()
	if ip.Is4() && ad.AggregationLength != 0 {
		bits = ad.AggregationLength
	}
	if ip.Is6() && ad.AggregationLengthV6 != 0 {
		bits = ad.AggregationLengthV6
	}
	p, _ := ip.Prefix(bits)
	return p
}

func poolOf(t topologies.Topology, ip netip.Addr) (topologies.Pool, bool) {
	return t.MetalLB.PoolOf(ip)
}

// checkAssignments compares each service's addresses with what its
// topology entry allows.
func (e *Expectation) checkAssignments() {
	t := e.Plan.Topology
	for _, s := range t.Services {
		f := e.Services[s.Name]
		if slices.Contains(e.pending, s.Name) {
			if len(f.IPs) > 0 {
				e.problems = append(e.problems, fmt.Errorf("service %s: got %v, want no address (pending)", s.Name, f.IPs))
			}
			continue
		}
		if len(f.IPs) == 0 {
			why := "no events"
			if len(f.Events) > 0 {
				why = "events: " + strings.Join(f.Events, "; ")
			}
			e.problems = append(e.problems, fmt.Errorf("service %s has no LoadBalancer IP (%s)", s.Name, why))
			continue
		}
		if len(s.IPs) > 0 {
			want := slices.Clone(s.IPs)
			slices.SortFunc(want, netip.Addr.Compare)
			if !slices.Equal(want, f.IPs) {
				e.problems = append(e.problems, fmt.Errorf("service %s: got %v, want the requested %v", s.Name, f.IPs, want))
			}
		}
		for _, ip := range f.IPs {
			pool, ok := poolOf(t, ip)
			switch {
			case !ok:
				e.problems = append(e.problems, fmt.Errorf("service %s: %s is in no pool", s.Name, ip))
			case s.Pool != "" && pool.Name != s.Pool:
				e.problems = append(e.problems, fmt.Errorf("service %s: %s is from pool %s, want pool %s", s.Name, ip, pool.Name, s.Pool))
			case s.Pool == "" && len(s.IPs) == 0 && !pool.AutoAssigns():
				e.problems = append(e.problems, fmt.Errorf("service %s: %s is from pool %s, which has autoAssign false and the service did not ask for it", s.Name, ip, pool.Name))
			case pool.AvoidBuggyIPs && ip.Is4() && (ip.As4()[3] == 0 || ip.As4()[3] == 255):
				e.problems = append(e.problems, fmt.Errorf("service %s: %s ends in .0 or .255, but pool %s has avoidBuggyIPs", s.Name, ip, pool.Name))
			}
		}
	}
}

// assigned reports the assignment problems alone.
func (e *Expectation) assigned() error { return errors.Join(e.problems...) }

// inSpace: does the prefix lie in a pool's address space (where the oracle
// knows every route)?
func (e *Expectation) inSpace(p netip.Prefix) bool {
	r := topologies.PrefixRange(p)
	for _, s := range e.space {
		if s.Overlaps(r) {
			return true
		}
	}
	return false
}

// Converged is the oracle as a check: the services have the addresses their
// topology allows, every router holds exactly the expected routes in the
// pools' space (BGP table, attributes, kernel), and every speaker sends each
// peer exactly the prefixes that peer's router should have from its node,
// listing every difference.
func Converged(opts ...ExpectOption) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		e, err := Expect(ctx, lab, opts...)
		if err != nil {
			return err
		}
		return e.Compare(ctx, lab)
	}
}

// Compare checks every router against the expectation.
func (e *Expectation) Compare(ctx context.Context, lab *harness.Lab) error {
	errs := slices.Clone(e.problems)
	fams := e.Plan.Topology.Cluster.IPFamily.Families()
	errs = append(errs, onRouters(ctx, lab, e.Plan, func(harness.RouterPlan) bool { return true }, func(rp harness.RouterPlan, q *routers.Querier) error {
		var have []routers.BGPRoute
		for _, f := range fams {
			rs, err := q.BGPRoutes(ctx, routerFamily(f))
			if err != nil {
				return err
			}
			have = append(have, rs...)
		}
		return e.compareRouter(ctx, q, e.Routers[rp.Router.Name], have)
	}))
	errs = append(errs, onSpeakers(ctx, lab, e.Plan, func(n harness.Node, q *routers.Querier) error {
		return e.compareSpeaker(ctx, q, n)
	}))
	return errors.Join(errs...)
}

// SpeakerAdvertises are the prefixes the speaker on a node should send to
// one of its peers: those whose expected route at that peer's router has
// the node as a next hop.
func (e *Expectation) SpeakerAdvertises(n harness.Node, pp harness.PlannedPeer) []netip.Prefix {
	var out []netip.Prefix
	self := n.Addr(pp.Address.Is6())
	for _, r := range e.Routers[pp.Router].Routes {
		if r.CheckAttrs && r.Prefix.Addr().Is6() == pp.Address.Is6() && slices.Contains(r.NextHops, self) {
			out = append(out, r.Prefix)
		}
	}
	return out
}

// compareSpeaker checks what one speaker sends each of its peers.
func (e *Expectation) compareSpeaker(ctx context.Context, q *routers.Querier, n harness.Node) error {
	var errs []error
	peers := e.Plan.SpeakerPeers(n.Short())
	all, failed, err := q.AdvertisedRoutesTo(ctx, addrsOf(peers)...)
	if err != nil {
		return err
	}
	for _, pp := range peers {
		have := all[pp.Address]
		if err := failed[pp.Address]; err != nil {
			errs = append(errs, err)
			continue
		}
		have = slices.DeleteFunc(have, func(p netip.Prefix) bool { return !e.inSpace(p) })
		want := e.SpeakerAdvertises(n, pp)
		for _, p := range have {
			if !slices.Contains(want, p) {
				errs = append(errs, fmt.Errorf("advertises %s to %s (router %s), want not", p, pp.Address, pp.Router))
			}
		}
		for _, p := range want {
			if !slices.Contains(have, p) {
				errs = append(errs, fmt.Errorf("does not advertise %s to %s (router %s), want it", p, pp.Address, pp.Router))
			}
		}
	}
	return errors.Join(errs...)
}

func (e *Expectation) compareRouter(ctx context.Context, q *routers.Querier, want RouterRoutes, have []routers.BGPRoute) error {
	var errs []error
	seen := map[netip.Prefix]bool{}
	for _, h := range have {
		if !e.inSpace(h.Prefix) {
			continue
		}
		seen[h.Prefix] = true
		i := slices.IndexFunc(want.Routes, func(r ExpectedRoute) bool { return r.Prefix == h.Prefix })
		if i < 0 {
			errs = append(errs, fmt.Errorf("%s: present (next hops %v), want absent", h.Prefix, pathHops(h)))
			continue
		}
		errs = append(errs, compareRoute(want.Routes[i], h)...)
	}
	// The kernel's table is read once per family and router, not once per
	// route: each read is a docker exec.
	kernel := map[routers.IPFamily][]routers.KernelRoute{}
	for _, w := range want.Routes {
		if !seen[w.Prefix] {
			errs = append(errs, fmt.Errorf("%s: absent, want next hops %v (%s)", w.Prefix, w.NextHops, w.Why))
			continue
		}
		fam := routers.IPv4
		if w.Prefix.Addr().Is6() {
			fam = routers.IPv6
		}
		table, ok := kernel[fam]
		if !ok {
			var err error
			if table, err = q.KernelRoutes(ctx, fam); err != nil {
				errs = append(errs, err)
				continue
			}
			kernel[fam] = table
		}
		errs = append(errs, compareKernel(table, w))
	}
	return errors.Join(errs...)
}

func compareRoute(w ExpectedRoute, h routers.BGPRoute) []error {
	var errs []error
	if got := pathHops(h); !slices.Equal(got, w.NextHops) {
		errs = append(errs, fmt.Errorf("%s: BGP next hops %v, want %v (%s)", w.Prefix, got, w.NextHops, w.Why))
	}
	if !w.CheckAttrs {
		return errs
	}
	for _, p := range h.Paths {
		if !p.Valid {
			continue
		}
		pa := w.Paths[p.NextHop]
		comms := slices.Clone(p.Communities)
		slices.Sort(comms)
		if !slices.Equal(comms, pa.Communities) {
			errs = append(errs, fmt.Errorf("%s from %s: communities %v, want %v", w.Prefix, p.NextHop, comms, pa.Communities))
		}
		large := slices.Clone(p.LargeCommunities)
		slices.Sort(large)
		if !slices.Equal(large, pa.LargeCommunities) {
			errs = append(errs, fmt.Errorf("%s from %s: large communities %v, want %v", w.Prefix, p.NextHop, large, pa.LargeCommunities))
		}
		switch {
		case pa.LocalPref != 0 && (!p.HasLocalPref || p.LocalPref != pa.LocalPref):
			errs = append(errs, fmt.Errorf("%s from %s: local preference %s, want %d", w.Prefix, p.NextHop, localPrefText(p), pa.LocalPref))
		case pa.LocalPref == 0 && pa.ZeroLocalPref && (!p.HasLocalPref || p.LocalPref != 0):
			errs = append(errs, fmt.Errorf("%s from %s: local preference %s, want 0 (the native speaker sends 0 to iBGP peers when no advertisement sets one)", w.Prefix, p.NextHop, localPrefText(p)))
		case pa.LocalPref == 0 && !pa.ZeroLocalPref && p.HasLocalPref && p.LocalPref != defaultLocalPref:
			errs = append(errs, fmt.Errorf("%s from %s: local preference %d, want none sent (default %d)", w.Prefix, p.NextHop, p.LocalPref, defaultLocalPref))
		}
	}
	return errs
}

// defaultLocalPref is what FRR shows for paths that carry none.
const defaultLocalPref = 100

func localPrefText(p routers.BGPPath) string {
	if !p.HasLocalPref {
		return "none"
	}
	return fmt.Sprint(p.LocalPref)
}

// compareKernel checks w's entries in a router's kernel table (its main
// table in w's family, as `ip route show` lists it).
func compareKernel(table []routers.KernelRoute, w ExpectedRoute) error {
	var got []netip.Addr
	for _, r := range table {
		if r.Dst == w.Prefix.Masked() {
			got = append(got, r.Gateways()...)
		}
	}
	slices.SortFunc(got, netip.Addr.Compare)
	got = slices.Compact(got)
	if w.OneKernelHop {
		if len(got) != 1 || !slices.Contains(w.KernelNextHops, got[0]) {
			return fmt.Errorf("%s: kernel next hops %v, want one of %v", w.Prefix, got, w.KernelNextHops)
		}
		return nil
	}
	if !slices.Equal(got, w.KernelNextHops) {
		return fmt.Errorf("%s: kernel next hops %v, want %v", w.Prefix, got, w.KernelNextHops)
	}
	return nil
}

// pathHops are the next hops of a route's valid paths, sorted.
func pathHops(r routers.BGPRoute) []netip.Addr {
	var out []netip.Addr
	for _, p := range r.Paths {
		if p.Valid {
			out = appendUnique(out, p.NextHop)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// String lists the expectation, router by router (for reports and -v).
func (e *Expectation) String() string {
	var b strings.Builder
	for _, r := range e.Plan.Topology.Routers {
		fmt.Fprintf(&b, "router %s:\n", r.Name)
		for _, rt := range e.Routers[r.Name].Routes {
			fmt.Fprintf(&b, "  %s via %v (kernel %v)", rt.Prefix, rt.NextHops, rt.KernelNextHops)
			if len(rt.Communities) > 0 {
				fmt.Fprintf(&b, " communities %v", rt.Communities)
			}
			if len(rt.LargeCommunities) > 0 {
				fmt.Fprintf(&b, " large %v", rt.LargeCommunities)
			}
			if rt.LocalPref != 0 {
				fmt.Fprintf(&b, " localPref %d", rt.LocalPref)
			}
			fmt.Fprintf(&b, "  [%s]\n", rt.Why)
		}
	}
	return b.String()
}

func routerFamily(f topologies.IPFamily) routers.IPFamily {
	if f == topologies.IPv6 {
		return routers.IPv6
	}
	return routers.IPv4
}

func appendUnique(s []netip.Addr, a netip.Addr) []netip.Addr {
	if !a.IsValid() || slices.Contains(s, a) {
		return s
	}
	return append(s, a)
}

func appendUniqueString(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func appendWhy(a, b string) string {
	if a == "" {
		return b
	}
	if strings.Contains(a, b) {
		return a
	}
	return a + "; " + b
}
