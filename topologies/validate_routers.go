package topologies

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
		v.password(join(pp, "password"), p.Password)
		v.peerTimers(pp, p.HoldTime.Std(), p.KeepaliveTime.Std(), "FRR's default: 180s", "FRR's default: 60s")
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
	backPath := ""
	for k := range q.Peers {
		if q.Peers[k].Router == r.Name {
			back = &q.Peers[k]
			backPath = index(join(v.routerPath[v.routerIdx[q.Name]], "peers"), strconv.Itoa(k))
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
	if back.Password != p.Password {
		v.add(join(pp, "password"), "differs from %s: TCP MD5 needs the same password on both ends of the session", join(backPath, "password"))
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

// maxPasswordLen is the longest TCP MD5 key Linux accepts (TCP_MD5SIG_MAXKEYLEN).
const maxPasswordLen = 80

// password checks a TCP MD5 password (empty: none). FRR and MetalLB write it as one word
// of FRR's configuration, so it must be printable ASCII without spaces. The messages never
// repeat the password.
func (v *validator) password(path, pw string) {
	if pw == "" {
		return
	}
	if len(pw) > maxPasswordLen {
		v.add(path, "%d characters: TCP MD5 takes at most %d; use a shorter password", len(pw), maxPasswordLen)
	}
	for _, c := range pw {
		if c < '!' || c > '~' {
			v.add(path, "contains %q: use printable ASCII without spaces (letters, digits, punctuation), as FRR takes the password as one word", c)
			return
		}
	}
}

// peerTimers checks a BGP hold time and keepalive time in whole seconds as FRR and MetalLB
// take them; 0 keeps the default that htDefault and ktDefault name.
func (v *validator) peerTimers(pp string, ht, kt time.Duration, htDefault, ktDefault string) {
	htOK := ht >= 0 && wholeSeconds(ht) && (ht == 0 || ht >= 3*time.Second) && ht <= 65535*time.Second
	if !htOK {
		v.add(join(pp, "holdTime"), "%s: must be 0 (%s) or whole seconds, 3s..65535s", ht, htDefault)
	}
	ktOK := kt >= 0 && wholeSeconds(kt) && kt <= 65535*time.Second
	if !ktOK {
		v.add(join(pp, "keepaliveTime"), "%s: must be 0 (%s) or whole seconds, 1s..65535s", kt, ktDefault)
	}
	if htOK && ktOK && ht > 0 && kt > ht {
		v.add(join(pp, "keepaliveTime"), "%s is longer than holdTime %s: a keepalive must come at least once per hold time; use at most holdTime (a third of it is usual)", kt, ht)
	}
}

// nodesPeerPath returns the path of router r's peer entry for the nodes, or "".
func (v *validator) nodesPeerPath(r Router) string {
	i, ok := v.routerIdx[r.Name]
	if !ok {
		return ""
	}
	for j, p := range r.Peers {
		if p.Nodes {
			return index(join(v.routerPath[i], "peers"), strconv.Itoa(j))
		}
	}
	return ""
}
