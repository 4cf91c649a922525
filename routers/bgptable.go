package routers

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// BGPRoute is one prefix of bgpd's table (the Adj-RIB-In after inbound
// policy, plus what the router originates) with every path bgpd holds
// for it, in FRR's order (which is not best-first).
type BGPRoute struct {
	Prefix netip.Prefix
	Paths  []BGPPath
}

// BGPPath is one path of a BGPRoute with its attributes, as FRR prints
// them in `show bgp <afi> unicast json detail` and `show bgp <afi> unicast
// <prefix> json`.
type BGPPath struct {
	// Peer is the neighbor the path came from. It is invalid for a path the
	// router originates itself (Local), for which FRR prints "0.0.0.0".
	Peer netip.Addr
	// PeerHostname and PeerRouterID describe that neighbor (FRR's
	// peer.hostname and peer.routerId; the router's own id on a local path).
	PeerHostname string
	PeerRouterID netip.Addr
	// PeerType is "internal" (iBGP) or "external" (eBGP); empty on a local
	// path.
	PeerType string
	// Local is set for a path this router originates (network statement or
	// redistribution): FRR's "sourced"/"local".
	Local bool

	// NextHop is the path's next hop: the IPv4 one, or for IPv6 the global
	// one (never the link-local one). On a local path it is 0.0.0.0 or ::
	// as FRR prints it.
	NextHop netip.Addr
	// LinkLocalNextHop is the IPv6 link-local next hop a neighbor on the
	// same segment sends along with the global one (invalid if none).
	// Without "set ipv6 next-hop prefer-global" FRR installs the route
	// through this one.
	LinkLocalNextHop netip.Addr
	// NextHopAccessible says bgpd can resolve NextHop (FRR's "accessible");
	// a path with an unreachable next hop is never valid.
	NextHopAccessible bool

	// Valid paths may be selected; Best is the one selected; Multipath
	// paths are used together with the best one (ECMP). FRR marks the best
	// path multipath too when it shares the prefix with others.
	Valid     bool
	Best      bool
	Multipath bool
	// SelectionReason is why the best path won ("First path received",
	// "Weight", "MED", "Router ID", ...); empty on the other paths.
	SelectionReason string

	// ASPath is the AS path as FRR prints it ("65001 65002", with sets as
	// "{65003,65004}"), empty for an empty path (a path originated in the
	// local AS: FRR prints "Local" there). ASPathLength counts it as best
	// path selection does.
	ASPath       string
	ASPathLength int
	// Origin is "IGP", "EGP" or "incomplete".
	Origin string
	// LocalPref is the LOCAL_PREF attribute and HasLocalPref whether the
	// path carries one. FRR omits it ("locPrf" missing) on paths learned
	// over eBGP, where the attribute is not sent (a route-map that sets it
	// on an eBGP session's outbound side has no effect), and on paths the
	// router originates; bgpd then uses its default (100, `bgp default
	// local-preference`) for best-path selection. iBGP paths carry it:
	// 100 unless a route-map set another value.
	LocalPref    uint32
	HasLocalPref bool
	// MED is the MULTI_EXIT_DISC attribute ("metric") and HasMED whether the
	// path carries one. A network statement originates the prefix with MED
	// 0, which eBGP peers then receive.
	MED    uint32
	HasMED bool
	// Weight is the local weight (32768 for the router's own paths; not a
	// path attribute, never sent). FRR omits it when zero.
	Weight uint32
	// Communities are the standard communities as FRR prints them in
	// configuration syntax: "64512:100", and well-known ones by name
	// ("no-export", "no-advertise", "local-AS", "blackhole",
	// "graceful-shutdown", ...), in FRR's (sorted) order. Nil if the path
	// has none (FRR then omits "community").
	Communities []string
	// LargeCommunities are the large communities ("65001:100:1"), nil if
	// none.
	LargeCommunities []string
	// LastUpdate is when bgpd last received or changed the path.
	LastUpdate time.Time
}

// Best returns the route's best path, if it has one.
func (r BGPRoute) Best() (BGPPath, bool) {
	for _, p := range r.Paths {
		if p.Best {
			return p, true
		}
	}
	return BGPPath{}, false
}

// NextHops are the next hops of the paths bgpd uses for the prefix: the best
// path and the multipath ones (IPv4 or global IPv6 next hops), sorted and
// unique. A prefix the router originates itself lists 0.0.0.0 or ::.
func (r BGPRoute) NextHops() []netip.Addr {
	var nhs []netip.Addr
	for _, p := range r.Paths {
		if (p.Best || p.Multipath) && p.NextHop.IsValid() {
			nhs = append(nhs, p.NextHop)
		}
	}
	return sortedUnique(nhs)
}

// HasCommunity says whether the path carries the standard community c,
// written as in configuration ("64512:100", "no-export").
func (p BGPPath) HasCommunity(c string) bool { return slices.Contains(p.Communities, c) }

// HasLargeCommunity says whether the path carries the large community c.
func (p BGPPath) HasLargeCommunity(c string) bool { return slices.Contains(p.LargeCommunities, c) }

// BGPRoutes lists bgpd's unicast table for one family with every path and
// its attributes, sorted by prefix.
//
// It runs `show bgp <afi> unicast json detail`, which on FRR 10.7 prints
// every prefix with full path attributes (communities, large communities,
// local preference, next hops with their scope) in one call; plain `show
// bgp <afi> unicast json` has no communities. (`... detail json` and
// `... detail-routes json` carry the same path objects, but as a bare list
// per prefix without the prefix object around it.)
func (q *Querier) BGPRoutes(ctx context.Context, family IPFamily) ([]BGPRoute, error) {
	cmd := "show bgp ipv4 unicast json detail"
	if family == IPv6 {
		cmd = "show bgp ipv6 unicast json detail"
	}
	var rs []BGPRoute
	err := q.vtyshJSON(ctx, cmd, func(b []byte) (err error) {
		rs, err = parseBGPRoutes(b)
		return err
	})
	return rs, err
}

// BGPRoute returns bgpd's entry for exactly prefix (`show bgp <afi> unicast
// <prefix> json`); a route without Paths when bgpd has none.
func (q *Querier) BGPRoute(ctx context.Context, prefix netip.Prefix) (BGPRoute, error) {
	afi := "ipv4"
	if prefix.Addr().Is6() {
		afi = "ipv6"
	}
	cmd := "show bgp " + afi + " unicast " + prefix.Masked().String() + " json"
	r := BGPRoute{Prefix: prefix.Masked()}
	err := q.vtyshJSON(ctx, cmd, func(b []byte) error {
		got, ok, err := parseBGPRoute(b)
		if err != nil || !ok {
			return err
		}
		// A prefix with its length is looked up exactly; check anyway, as
		// an address alone would give the longest match.
		if got.Prefix != r.Prefix {
			return fmt.Errorf("asked for %s, FRR answered for %s", r.Prefix, got.Prefix)
		}
		r = got
		return nil
	})
	return r, err
}

type rawBGPTable struct {
	Routes map[string]rawBGPPrefix `json:"routes"`
}

type rawBGPPrefix struct {
	Prefix string       `json:"prefix"`
	Paths  []rawBGPPath `json:"paths"`
}

type rawBGPPath struct {
	ASPath *struct {
		String string `json:"string"`
		Length int    `json:"length"`
	} `json:"aspath"`
	Origin    string    `json:"origin"`
	Metric    *jsonUint `json:"metric"`
	LocPrf    *jsonUint `json:"locPrf"`
	Weight    jsonUint  `json:"weight"`
	Valid     bool      `json:"valid"`
	Multipath bool      `json:"multipath"`
	Sourced   bool      `json:"sourced"`
	Local     bool      `json:"local"`
	// "bestpath" is an object on the best path and missing on the others.
	Bestpath *struct {
		Overall         bool   `json:"overall"`
		SelectionReason string `json:"selectionReason"`
	} `json:"bestpath"`
	// Communities: "string" is in configuration syntax ("no-export"),
	// "list" uses JSON-style names for the well-known ones ("noExport").
	Community *struct {
		String string `json:"string"`
	} `json:"community"`
	LargeCommunity *struct {
		String string `json:"string"`
	} `json:"largeCommunity"`
	LastUpdate struct {
		Epoch int64 `json:"epoch"`
	} `json:"lastUpdate"`
	NextHops []struct {
		IP         string `json:"ip"`
		Scope      string `json:"scope"`
		Accessible bool   `json:"accessible"`
	} `json:"nexthops"`
	Peer struct {
		PeerID   string `json:"peerId"`
		RouterID string `json:"routerId"`
		Hostname string `json:"hostname"`
		Type     string `json:"type"`
	} `json:"peer"`
}

// parseBGPRoutes reads `show bgp <afi> unicast json detail`.
func parseBGPRoutes(b []byte) ([]BGPRoute, error) {
	var raw rawBGPTable
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	out := make([]BGPRoute, 0, len(raw.Routes))
	for key, rp := range raw.Routes {
		if rp.Prefix == "" {
			rp.Prefix = key
		}
		r, err := rp.route()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b BGPRoute) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return a.Prefix.Bits() - b.Prefix.Bits()
	})
	return out, nil
}

// parseBGPRoute reads `show bgp <afi> unicast <prefix> json`: one prefix
// object, or "{}" when bgpd has no such prefix (ok false).
func parseBGPRoute(b []byte) (BGPRoute, bool, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return BGPRoute{}, false, nil
	}
	var raw rawBGPPrefix
	if err := decodeJSON(b, &raw); err != nil {
		return BGPRoute{}, false, err
	}
	if raw.Prefix == "" {
		return BGPRoute{}, false, nil
	}
	r, err := raw.route()
	return r, err == nil, err
}

func (rp rawBGPPrefix) route() (BGPRoute, error) {
	prefix, err := netip.ParsePrefix(rp.Prefix)
	if err != nil {
		return BGPRoute{}, fmt.Errorf("bgp route %q: %w", rp.Prefix, err)
	}
	r := BGPRoute{Prefix: prefix, Paths: make([]BGPPath, 0, len(rp.Paths))}
	for _, raw := range rp.Paths {
		r.Paths = append(r.Paths, raw.path())
	}
	return r, nil
}

func (raw rawBGPPath) path() BGPPath {
	p := BGPPath{
		PeerHostname: raw.Peer.Hostname, PeerType: raw.Peer.Type, Local: raw.Sourced || raw.Local,
		Valid: raw.Valid, Multipath: raw.Multipath, Origin: raw.Origin, Weight: uint32(raw.Weight),
	}
	if a, err := netip.ParseAddr(raw.Peer.PeerID); err == nil && !a.IsUnspecified() {
		p.Peer = a
	}
	if a, err := netip.ParseAddr(raw.Peer.RouterID); err == nil {
		p.PeerRouterID = a
	}
	if bp := raw.Bestpath; bp != nil && bp.Overall {
		p.Best, p.SelectionReason = true, bp.SelectionReason
	}
	if as := raw.ASPath; as != nil {
		p.ASPathLength = as.Length
		if as.Length > 0 {
			p.ASPath = as.String
		}
	}
	if raw.LocPrf != nil {
		p.LocalPref, p.HasLocalPref = uint32(*raw.LocPrf), true
	}
	if raw.Metric != nil {
		p.MED, p.HasMED = uint32(*raw.Metric), true
	}
	if c := raw.Community; c != nil {
		p.Communities = strings.Fields(c.String)
	}
	if c := raw.LargeCommunity; c != nil {
		p.LargeCommunities = strings.Fields(c.String)
	}
	if raw.LastUpdate.Epoch > 0 {
		p.LastUpdate = time.Unix(raw.LastUpdate.Epoch, 0)
	}
	for _, nh := range raw.NextHops {
		a, err := netip.ParseAddr(nh.IP)
		if err != nil {
			continue
		}
		switch {
		case nh.Scope == "link-local" || a.IsLinkLocalUnicast():
			if !p.LinkLocalNextHop.IsValid() {
				p.LinkLocalNextHop = a
			}
		case !p.NextHop.IsValid():
			p.NextHop, p.NextHopAccessible = a, nh.Accessible
		}
	}
	return p
}
