package topologies

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ---------------------------------------------------------------------------------------
// metallb

// poolAddr is one parsed entry of a pool's addresses.
type poolAddr struct {
	path string
	text string
	r    AddrRange
}

func (v *validator) metallb() {
	t := v.t
	m := t.MetalLB
	v.asn("metallb.asn", m.ASN, "required")

	if len(m.Pools) == 0 {
		v.add("metallb.pools", "at least one pool is required")
	}
	hasFamily := map[bool]bool{} // key: is IPv6
	v.poolAddrs = make([][]poolAddr, len(m.Pools))
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
			v.spaces = append(v.spaces, space{path: ap, r: r, text: s, l2: m.L2Pool(p.Name)})
			v.poolAddrs[i] = append(v.poolAddrs[i], poolAddr{path: ap, text: s, r: r})
		}
		if p.AvoidBuggyIPs && len(v.poolAddrs[i]) > 0 && !slices.ContainsFunc(v.poolAddrs[i], func(a poolAddr) bool { return hasUnbuggyAddr(a.r) }) {
			v.add(join(pp, "avoidBuggyIPs"), "every address of the pool ends in .0 or .255, which avoidBuggyIPs never hands out: the pool has no usable address; widen it or drop avoidBuggyIPs")
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
		switch {
		case b.EchoInterval == 0:
		case !b.EchoMode:
			v.add(join(bp, "echoInterval"), "%d ms, but echoMode is false: the interval is only used in echo mode; set echoMode: true or drop echoInterval", b.EchoInterval)
		case b.EchoInterval < 10 || b.EchoInterval > 60000:
			v.add(join(bp, "echoInterval"), "%d ms: must be 10..60000 (0 keeps MetalLB's default, 50)", b.EchoInterval)
		}
		if b.MinimumTTL > 254 {
			v.add(join(bp, "minimumTtl"), "%d: must be 1..254 (0 keeps MetalLB's default, 254)", b.MinimumTTL)
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

// hasUnbuggyAddr reports whether r holds an address that avoidBuggyIPs hands out: any
// IPv6 address, or an IPv4 address not ending in .0 or .255.
func hasUnbuggyAddr(r AddrRange) bool {
	if r.Is6() {
		return true
	}
	// Of any three consecutive IPv4 addresses at least one ends in neither .0 nor .255.
	if rangeSize(r.From, r.To).Int64() >= 3 {
		return true
	}
	return !buggyIPv4(r.From) || !buggyIPv4(r.To)
}

// buggyIPv4 reports whether a is an IPv4 address ending in .0 or .255, which some old
// firmware takes for a network or broadcast address (MetalLB's avoidBuggyIPs skips them).
func buggyIPv4(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[3] == 0 || b[3] == 255
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
	case ct == 0 && !t.MetalLB.Backend.ConnectTime():
	case ct == 0:
		v.add(join(pp, "connectTime"), "not set (WithDefaults sets %s)", DefaultConnectTime)
	case !wholeSeconds(ct) || ct < time.Second || ct > 65535*time.Second:
		v.add(join(pp, "connectTime"), "%s: must be whole seconds, 1s..65535s", ct)
	}
	v.peerTimers(pp, p.HoldTime.Std(), p.KeepaliveTime.Std(), "MetalLB's default: 90s", "MetalLB's default: 30s")

	// TCP MD5: both ends of every session must have the same password.
	v.password(join(pp, "password"), p.Password)
	if peersNodes && nodesPeer.Password != p.Password {
		rpp := join(v.nodesPeerPath(r), "password")
		switch {
		case p.Password == "":
			v.add(join(pp, "password"), "not set, but %s is: TCP MD5 needs the same password on both ends; set the same one here", rpp)
		case nodesPeer.Password == "":
			v.add(join(pp, "password"), "set, but %s is not: TCP MD5 needs the same password on both ends; set the same one there", rpp)
		default:
			v.add(join(pp, "password"), "differs from %s: TCP MD5 needs the same password on both ends", rpp)
		}
	}

	// Node selection.
	if len(p.Nodes) > 0 {
		v.announcingNodeRefs(join(pp, "nodes"), p.Nodes, "router "+strconv.Quote(r.Name)+" would learn no route from the nodes")
	}
}

func wholeSeconds(d time.Duration) bool { return d%time.Second == 0 }

// announcingNodeRefs checks a node selection (metallb.peers[].nodes, advertisements'
// nodes) by name, and that at least one of the nodes announces service IPs; effect says
// what happens otherwise.
func (v *validator) announcingNodeRefs(path string, names []string, effect string) {
	valid := v.nodeRefs(path, names)
	if len(valid) == 0 {
		return
	}
	announcing := v.t.Cluster.AnnouncingNodeNames()
	if !slices.ContainsFunc(valid, func(n string) bool { return slices.Contains(announcing, n) }) {
		v.add(path, "none of these nodes announces service IPs (announcing: %s; the control plane only with cluster.controlPlaneAnnounces): %s; add an announcing node",
			strings.Join(announcing, ", "), effect)
	}
}

// nodeRefs checks a list of node names against Cluster.NodeNames and returns the valid
// ones.
func (v *validator) nodeRefs(path string, names []string) []string {
	all := v.t.Cluster.NodeNames()
	var valid []string
	seen := map[string]int{}
	for j, n := range names {
		np := index(path, strconv.Itoa(j))
		if !slices.Contains(all, n) {
			v.add(np, "unknown node %q (nodes: %s)", n, strings.Join(all, ", "))
			continue
		}
		if k, dup := seen[n]; dup {
			v.add(np, "%q is already listed (%s)", n, index(path, strconv.Itoa(k)))
			continue
		}
		seen[n] = j
		valid = append(valid, n)
	}
	return valid
}

// ---------------------------------------------------------------------------------------
// advertisements

const maxSubdomainLen = 253

// subdomainRE is a DNS-1123 subdomain, the form Kubernetes requires of most object names.
var subdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func (v *validator) advertisements() {
	m := v.t.MetalLB
	if len(m.Advertisements) == 0 && len(m.BGPPools()) > 0 {
		v.add("metallb.advertisements", "none: no pool would be announced (WithDefaults adds one for every pool)")
	}
	names := map[string]int{}
	advertised := map[string]bool{}
	for i, a := range m.Advertisements {
		ap := v.advPath[i]
		np := join(ap, "name")
		switch {
		case a.Name == "":
			v.add(np, "not set (WithDefaults sets advertisement-%d)", i)
		case len(a.Name) > maxSubdomainLen:
			v.add(np, "%d characters: a BGPAdvertisement name has at most %d", len(a.Name), maxSubdomainLen)
		case !subdomainRE.MatchString(a.Name):
			v.add(np, "%q must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", a.Name)
		default:
			if k, dup := names[a.Name]; dup {
				v.add(np, "duplicate advertisement name %q (also %s)", a.Name, v.advPath[k])
			} else {
				names[a.Name] = i
			}
		}

		if len(a.Pools) == 0 {
			for _, p := range m.Pools {
				advertised[p.Name] = true
			}
		}
		v.poolRefs(join(ap, "pools"), a.Pools)
		for _, name := range a.Pools {
			advertised[name] = true
		}

		seenCommunity := map[string]int{}
		for j, c := range a.Communities {
			cp := index(join(ap, "communities"), strconv.Itoa(j))
			if msg := communityProblem(c); msg != "" {
				v.add(cp, "%q: %s", c, msg)
				continue
			}
			if k, dup := seenCommunity[c]; dup {
				v.add(cp, "%q is already listed (communities[%d]); MetalLB refuses duplicates", c, k)
				continue
			}
			seenCommunity[c] = j
		}

		v.aggregation(ap, a)

		if len(a.Nodes) > 0 {
			v.announcingNodeRefs(join(ap, "nodes"), a.Nodes, "nobody would announce the advertisement's pools")
		}
		seenPeer := map[string]int{}
		for j, r := range a.Peers {
			rp := index(join(ap, "peers"), strconv.Itoa(j))
			if k, dup := seenPeer[r]; dup {
				v.add(rp, "%q is already listed (peers[%d]); MetalLB refuses duplicates", r, k)
				continue
			}
			seenPeer[r] = j
			switch {
			case r == "":
				v.add(rp, "empty: name a router of metallb.peers")
			case v.listedInMetalLB(r):
			default:
				var listed []string
				for _, p := range m.Peers {
					if p.Router != "" && !slices.Contains(listed, p.Router) {
						listed = append(listed, p.Router)
					}
				}
				what := "unknown router"
				if _, ok := v.router(r); ok {
					what = "router"
				}
				v.add(rp, "%s %q is not in metallb.peers (peers: %s): the advertisement can only go to routers MetalLB peers with", what, r, strings.Join(listed, ", "))
			}
		}
	}
	v.localPrefs()
	if len(m.Advertisements) == 0 {
		return
	}
	for i, p := range m.Pools {
		if p.Name != "" && !advertised[p.Name] && !m.L2Pool(p.Name) {
			v.add(v.poolPath[i], "no advertisement announces this pool")
		}
	}
}

// poolRefs checks an advertisement's list of pool names (BGP or L2): each
// known, none listed twice.
func (v *validator) poolRefs(path string, names []string) {
	seen := map[string]int{}
	for j, name := range names {
		pp := index(path, strconv.Itoa(j))
		if k, dup := seen[name]; dup {
			v.add(pp, "%q is already listed (pools[%d]); MetalLB refuses duplicates", name, k)
			continue
		}
		seen[name] = j
		if _, ok := v.poolIdx[name]; !ok {
			v.add(pp, "unknown pool %q (%s)", name, known(v.poolIdx))
		}
	}
}

// announcedPools returns the indexes of the pools the advertisement announces: the ones it
// names, or every pool when it names none (as MetalLB does).
func (v *validator) announcedPools(a BGPAdvertisement) []int {
	var out []int
	for i, p := range v.t.MetalLB.Pools {
		if len(a.Pools) == 0 || slices.Contains(a.Pools, p.Name) {
			out = append(out, i)
		}
	}
	return out
}

// aggregationLengths returns the advertisement's aggregation lengths as MetalLB applies
// them: 0 means 32 and 128, no aggregation.
func aggregationLengths(a BGPAdvertisement) (v4, v6 int) {
	v4, v6 = a.AggregationLength, a.AggregationLengthV6
	if v4 == 0 {
		v4 = 32
	}
	if v6 == 0 {
		v6 = 128
	}
	return v4, v6
}

// aggregation checks the aggregation lengths, and that no pool the advertisement announces
// has a prefix longer than the aggregation length of its family: MetalLB refuses the whole
// configuration then ("prefix ... more specific than the aggregation length").
func (v *validator) aggregation(ap string, a BGPAdvertisement) {
	ok4 := a.AggregationLength >= 0 && a.AggregationLength <= 32
	if !ok4 {
		v.add(join(ap, "aggregationLength"), "%d: must be 0 (no aggregation) or 1..32", a.AggregationLength)
	}
	ok6 := a.AggregationLengthV6 >= 0 && a.AggregationLengthV6 <= 128
	if !ok6 {
		v.add(join(ap, "aggregationLengthV6"), "%d: must be 0 (no aggregation) or 1..128", a.AggregationLengthV6)
	}
	agg4, agg6 := aggregationLengths(a)
	for _, pi := range v.announcedPools(a) {
		for _, pa := range v.poolAddrs[pi] {
			field, agg, ok := "aggregationLength", agg4, ok4
			if pa.r.Is6() {
				field, agg, ok = "aggregationLengthV6", agg6, ok6
			}
			if !ok {
				continue
			}
			if bits := widestPrefixBits(pa.r); agg < bits {
				v.add(join(ap, field), "%d is shorter than the /%d in %s (%s): MetalLB refuses a pool prefix more specific than the aggregation length; use %d or more, or widen the pool",
					agg, bits, pa.path, pa.text, bits)
			}
		}
	}
}

// widestPrefixBits returns the length of the shortest prefix among the CIDRs that cover r
// exactly (the smallest such set, as MetalLB splits a range).
func widestPrefixBits(r AddrRange) int {
	widest := r.From.BitLen()
	for _, p := range r.Prefixes() {
		widest = min(widest, p.Bits())
	}
	return widest
}

// localPrefs reports two advertisements that would give one route two local preferences,
// which MetalLB refuses: they share a pool, differ in localPref, do not tell the routes
// apart by aggregation length, and share a peer and a node.
func (v *validator) localPrefs() {
	ads := v.t.MetalLB.Advertisements
	allNodes := v.t.Cluster.NodeNames()
	nodesOf := func(a BGPAdvertisement) []string {
		if len(a.Nodes) == 0 {
			return allNodes
		}
		return a.Nodes
	}
	for j, b := range ads {
		for i, a := range ads[:j] {
			if a.LocalPref == b.LocalPref {
				continue
			}
			if len(a.Peers) > 0 && len(b.Peers) > 0 && !slices.ContainsFunc(a.Peers, func(p string) bool { return slices.Contains(b.Peers, p) }) {
				continue
			}
			bNodes := nodesOf(b)
			if !slices.ContainsFunc(nodesOf(a), func(n string) bool { return slices.Contains(bNodes, n) }) {
				continue
			}
			a4, a6 := aggregationLengths(a)
			b4, b6 := aggregationLengths(b)
			bPools := v.announcedPools(b)
			for _, pi := range v.announcedPools(a) {
				if !slices.Contains(bPools, pi) {
					continue
				}
				has4 := slices.ContainsFunc(v.poolAddrs[pi], func(pa poolAddr) bool { return !pa.r.Is6() })
				has6 := slices.ContainsFunc(v.poolAddrs[pi], func(pa poolAddr) bool { return pa.r.Is6() })
				apart := (!has4 && !has6) ||
					(has4 && !has6 && a4 != b4) ||
					(has6 && !has4 && a6 != b6) ||
					(a4 != b4 && a6 != b6)
				if apart {
					continue
				}
				v.add(join(v.advPath[j], "localPref"), "%d, but %s announces pool %q with localPref %d to the same peers from the same nodes: MetalLB refuses two local preferences for one route; use one localPref, or tell them apart by peers, nodes or aggregation length",
					b.LocalPref, v.advPath[i], v.t.MetalLB.Pools[pi].Name, a.LocalPref)
				break
			}
		}
	}
}

// ---------------------------------------------------------------------------------------
// communities

var (
	communityRE      = regexp.MustCompile(`^[0-9]+:[0-9]+$`)
	largeCommunityRE = regexp.MustCompile(`^large:[0-9]+:[0-9]+:[0-9]+$`)
)

// wellKnownCommunities are the well-known community names a topology may use, with their
// values (IANA "BGP Well-known Communities" registry). They are FRR's names.
//
// MetalLB v0.16.1 itself knows no names: it parses "AA:NN" and "large:A:B:C" only
// (internal/bgp/community), and takes any other string as the name of an alias that a
// Community resource (metallb.io/v1beta1) must define; until one does, it keeps the whole
// configuration unapplied (a transient error). So whoever turns a topology into MetalLB
// objects must either write CommunityValue of each entry or define these names in a
// Community resource.
var wellKnownCommunities = map[string]string{
	"graceful-shutdown": "65535:0",     // RFC 8326
	"accept-own":        "65535:1",     // RFC 7611
	"llgr-stale":        "65535:6",     // RFC 9494
	"no-llgr":           "65535:7",     // RFC 9494
	"blackhole":         "65535:666",   // RFC 7999
	"no-export":         "65535:65281", // RFC 1997
	"no-advertise":      "65535:65282", // RFC 1997
	"local-as":          "65535:65283", // RFC 1997 NO_EXPORT_SUBCONFED, FRR's local-AS
	"no-peer":           "65535:65284", // RFC 3765
}

// WellKnownCommunities returns the well-known community names a topology accepts in
// metallb.advertisements[].communities, each with its "AA:NN" value. MetalLB does not know
// these names (see CommunityValue).
func WellKnownCommunities() map[string]string {
	out := make(map[string]string, len(wellKnownCommunities))
	for n, c := range wellKnownCommunities {
		out[n] = c
	}
	return out
}

// CommunityValue returns c as MetalLB takes it: a well-known name becomes its "AA:NN"
// value; anything else is returned unchanged. MetalLB v0.16.1 parses only numeric and
// "large:" communities and would wait forever for a Community resource defining a name.
func CommunityValue(c string) string {
	if v, ok := wellKnownCommunities[c]; ok {
		return v
	}
	return c
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
		if _, ok := wellKnownCommunities[c]; ok {
			return ""
		}
		names := make([]string, 0, len(wellKnownCommunities))
		for n := range wellKnownCommunities {
			names = append(names, n)
		}
		slices.Sort(names)
		return fmt.Sprintf(`want "ASN:value", "large:A:B:C" or a well-known name (%s)`, strings.Join(names, ", "))
	}
	return ""
}

func fitsBits(s string, bits int) bool {
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}
