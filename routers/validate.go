package routers

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FieldError is one problem found by Spec.Validate. Field is a Go-like path
// into the Spec ("Neighbors[1].RemoteASN") so the message points at the
// input to fix rather than at a line of rendered FRR configuration.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// MaxECMPPaths bounds MaximumPaths. FRR refuses values above the multipath
// limit it was built with (Debian and upstream images: 64 or more); the
// bound keeps a typo from becoming a config FRR silently rejects on load.
const MaxECMPPaths = 64

// Names end up as words in frr.conf: anything with spaces or control
// characters would inject configuration. This is stricter than FRR's WORD.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$`)

// Interface names: Linux allows 15 bytes and no '/' or whitespace.
var ifacePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,15}$`)

var hostLabelPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

var communityPattern = regexp.MustCompile(`^([0-9]{1,5}):([0-9]{1,5})$`)

var largeCommunityPattern = regexp.MustCompile(`^([0-9]{1,10}):([0-9]{1,10}):([0-9]{1,10})$`)

// wellKnownCommunities are the names FRR accepts in place of AA:NN.
var wellKnownCommunities = map[string]bool{
	"internet": true, "local-AS": true, "no-advertise": true, "no-export": true,
	"no-peer": true, "blackhole": true, "graceful-shutdown": true, "accept-own": true,
}

// validator collects every problem instead of stopping at the first, so one
// run of a bad topology shows all that needs fixing.
type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

// Validate reports every field FRR would reject or misread, each as a
// *FieldError, joined with errors.Join. A nil result means Render will
// produce a configuration FRR loads.
func (s Spec) Validate() error {
	v := &validator{}
	s.validate(v)
	return v.err()
}

func (s Spec) validate(v *validator) {
	v.hostname("Hostname", s.Hostname)
	if s.ASN != 0 {
		v.asn("ASN", s.ASN)
	} else {
		// A router without BGP must not carry BGP settings: they would be
		// silently dropped from the rendered config.
		for _, c := range []struct {
			field string
			n     int
		}{
			{"Neighbors", len(s.Neighbors)}, {"PeerGroups", len(s.PeerGroups)},
			{"ListenRanges", len(s.ListenRanges)}, {"ListenLimit", s.ListenLimit},
			{"Originate", len(s.Originate)}, {"Redistribute", len(s.Redistribute)},
			{"MaximumPaths", s.MaximumPaths}, {"MaximumPathsIBGP", s.MaximumPathsIBGP},
		} {
			if c.n != 0 {
				v.add(c.field, "set, but ASN is 0 (no BGP); set ASN to run BGP")
			}
		}
	}
	if s.RouterID.IsValid() && (!s.RouterID.Is4() || s.RouterID.IsUnspecified()) {
		v.add("RouterID", "%s is not a usable IPv4 address (FRR router-ids are IPv4)", s.RouterID)
	}
	if s.ListenLimit < 0 || s.ListenLimit > 65535 {
		v.add("ListenLimit", "%d out of range 0-65535", s.ListenLimit)
	}
	if s.MaximumPaths < 0 || s.MaximumPaths > MaxECMPPaths {
		v.add("MaximumPaths", "%d out of range 0-%d", s.MaximumPaths, MaxECMPPaths)
	}
	if s.MaximumPathsIBGP < 0 || s.MaximumPathsIBGP > MaxECMPPaths {
		v.add("MaximumPathsIBGP", "%d out of range 0-%d", s.MaximumPathsIBGP, MaxECMPPaths)
	}

	profiles := uniqueNames(v, "BFDProfiles", "BFD profile", s.BFDProfiles,
		func(p BFDProfile) string { return p.Name }, func(p BFDProfile, f string) { p.validate(v, f) })
	prefixLists := uniqueNames(v, "PrefixLists", "prefix list", s.PrefixLists,
		func(pl PrefixList) string { return pl.Name }, func(pl PrefixList, f string) { pl.validate(v, f) })
	communityLists := uniqueNames(v, "CommunityLists", "community list", s.CommunityLists,
		func(cl CommunityList) string { return cl.Name }, func(cl CommunityList, f string) { cl.validate(v, f) })
	routeMaps := uniqueNames(v, "RouteMaps", "route-map", s.RouteMaps,
		func(rm RouteMap) string { return rm.Name }, func(rm RouteMap, f string) { rm.validate(v, f, prefixLists, communityLists) })

	refs := peerRefs{profiles: profiles, routeMaps: routeMaps}
	groups := map[string]PeerGroup{}
	for i, g := range s.PeerGroups {
		f := fmt.Sprintf("PeerGroups[%d]", i)
		if v.name(f+".Name", g.Name) {
			if _, err := netip.ParseAddr(g.Name); err == nil {
				v.add(f+".Name", "%q parses as an address; FRR would take it for a neighbor", g.Name)
			} else if _, dup := groups[g.Name]; dup {
				v.add(f+".Name", "duplicate peer group %q", g.Name)
			}
			groups[g.Name] = g
		}
		g.PeerSettings.validate(v, f, netip.Addr{}, refs)
	}

	seenListen := map[netip.Prefix]int{}
	for i, lr := range s.ListenRanges {
		f := fmt.Sprintf("ListenRanges[%d]", i)
		if v.prefix(f+".Prefix", lr.Prefix) {
			if j, dup := seenListen[lr.Prefix]; dup {
				v.add(f+".Prefix", "%s duplicates ListenRanges[%d]", lr.Prefix, j)
			}
			seenListen[lr.Prefix] = i
		}
		switch g, ok := groups[lr.PeerGroup]; {
		case lr.PeerGroup == "":
			v.add(f+".PeerGroup", "required: a listen range takes its settings from a peer group")
		case !ok:
			v.add(f+".PeerGroup", "no peer group named %q", lr.PeerGroup)
		case !g.hasRemoteAS():
			v.add(f+".PeerGroup", "peer group %q has no remote AS; dynamic neighbors need one", lr.PeerGroup)
		}
	}

	seenNeighbor := map[netip.Addr]int{}
	for i, n := range s.Neighbors {
		f := fmt.Sprintf("Neighbors[%d]", i)
		if v.unicast(f+".Address", n.Address) {
			if j, dup := seenNeighbor[n.Address]; dup {
				v.add(f+".Address", "%s duplicates Neighbors[%d]", n.Address, j)
			}
			seenNeighbor[n.Address] = i
		}
		g, inGroup := groups[n.PeerGroup]
		switch {
		case n.PeerGroup == "":
			if !n.hasRemoteAS() {
				v.add(f+".RemoteASN", "required (or RemoteASKind, or a PeerGroup that has one)")
			}
		case !inGroup:
			v.add(f+".PeerGroup", "no peer group named %q", n.PeerGroup)
		case g.hasRemoteAS() && n.hasRemoteAS():
			// FRR refuses "Peer-group member cannot override remote-as of peer-group".
			v.add(f+".RemoteASN", "set, but peer group %q already has a remote AS", n.PeerGroup)
		case !g.hasRemoteAS() && !n.hasRemoteAS():
			v.add(f+".RemoteASN", "required: neither the neighbor nor peer group %q has a remote AS", n.PeerGroup)
		}
		n.PeerSettings.validate(v, f, n.Address, refs)
	}

	seenOrig := map[netip.Prefix]int{}
	for i, p := range s.Originate {
		f := fmt.Sprintf("Originate[%d]", i)
		if v.prefix(f, p) {
			if j, dup := seenOrig[p]; dup {
				v.add(f, "%s duplicates Originate[%d]", p, j)
			}
			seenOrig[p] = i
		}
	}
	seenRedist := map[RouteSource]bool{}
	for i, r := range s.Redistribute {
		f := fmt.Sprintf("Redistribute[%d]", i)
		switch r {
		case RouteSourceConnected, RouteSourceStatic, RouteSourceKernel:
			if seenRedist[r] {
				v.add(f, "duplicate source %q", r)
			}
			seenRedist[r] = true
		default:
			v.add(f, "unknown route source %q (want connected, static or kernel)", r)
		}
	}
	for i, r := range s.StaticRoutes {
		r.validate(v, fmt.Sprintf("StaticRoutes[%d]", i))
	}
	s.Log.validate(v)
}

type peerRefs struct{ profiles, routeMaps map[string]bool }

func (p PeerSettings) hasRemoteAS() bool {
	return p.RemoteASN != 0 || p.RemoteASKind != RemoteASNumber
}

// validate checks settings shared by neighbors and peer groups; addr is the
// neighbor's address, or invalid for a peer group.
func (p PeerSettings) validate(v *validator, f string, addr netip.Addr, refs peerRefs) {
	switch p.RemoteASKind {
	case RemoteASNumber:
		if p.RemoteASN != 0 {
			v.asn(f+".RemoteASN", p.RemoteASN)
		}
	case RemoteASInternal, RemoteASExternal:
		if p.RemoteASN != 0 {
			v.add(f+".RemoteASN", "%d set together with RemoteASKind; use one", p.RemoteASN)
		}
	default:
		v.add(f+".RemoteASKind", "unknown kind %d", p.RemoteASKind)
	}
	if strings.ContainsFunc(p.Description, isControl) || len(p.Description) > 80 {
		v.add(f+".Description", "must be at most 80 characters without control characters or newlines")
	}
	if p.EBGPMultihop < 0 || p.EBGPMultihop > 255 {
		v.add(f+".EBGPMultihop", "%d out of range 0-255", p.EBGPMultihop)
	}
	if p.UpdateSource != "" {
		if a, err := netip.ParseAddr(p.UpdateSource); err == nil {
			if v.unicast(f+".UpdateSource", a) && addr.IsValid() && a.Is4() != addr.Is4() {
				v.add(f+".UpdateSource", "%s is not of the same IP version as neighbor %s", a, addr)
			}
		} else if !ifacePattern.MatchString(p.UpdateSource) {
			v.add(f+".UpdateSource", "%q is neither an IP address nor an interface name", p.UpdateSource)
		}
	}
	if p.Password != "" && (len(p.Password) > 80 || strings.ContainsFunc(p.Password, isSpaceOrControl)) {
		v.add(f+".Password", "must be 1-80 characters without spaces (TCP MD5 key)")
	}
	if p.Keepalive != 0 || p.Hold != 0 {
		ka, kaOK := v.seconds(f+".Keepalive", p.Keepalive, 0, 65535)
		hold, holdOK := v.seconds(f+".Hold", p.Hold, 0, 65535)
		switch {
		case holdOK && hold != 0 && hold < 3:
			v.add(f+".Hold", "%s: must be 0 or at least 3s (RFC 4271)", p.Hold)
		case kaOK && holdOK && hold != 0 && ka > hold:
			v.add(f+".Keepalive", "%s is longer than Hold %s", p.Keepalive, p.Hold)
		case kaOK && holdOK && ka == 0 && hold != 0:
			v.add(f+".Keepalive", "0 with Hold %s: set both, or neither to keep FRR's defaults", p.Hold)
		}
	}
	if p.ConnectRetry != 0 {
		v.seconds(f+".ConnectRetry", p.ConnectRetry, 1, 65535)
	}
	if p.BFDProfile != "" {
		if !p.BFD {
			v.add(f+".BFDProfile", "%q set while BFD is false", p.BFDProfile)
		} else if !refs.profiles[p.BFDProfile] {
			v.add(f+".BFDProfile", "no BFD profile named %q", p.BFDProfile)
		}
	}
	seenAF := map[AddressFamily]bool{}
	for i, af := range p.AddressFamilies {
		ff := fmt.Sprintf("%s.AddressFamilies[%d]", f, i)
		switch af {
		case IPv4Unicast, IPv6Unicast:
			if seenAF[af] {
				v.add(ff, "duplicate address family %q", af)
			}
			seenAF[af] = true
		default:
			v.add(ff, "unknown address family %q (want %q or %q)", af, IPv4Unicast, IPv6Unicast)
		}
	}
	if p.RouteMapIn != "" && !refs.routeMaps[p.RouteMapIn] {
		v.add(f+".RouteMapIn", "no route-map named %q", p.RouteMapIn)
	}
	if p.RouteMapOut != "" && !refs.routeMaps[p.RouteMapOut] {
		v.add(f+".RouteMapOut", "no route-map named %q", p.RouteMapOut)
	}
}

func (p BFDProfile) validate(v *validator, f string) {
	if p.DetectMultiplier != 0 && (p.DetectMultiplier < 2 || p.DetectMultiplier > 255) {
		v.add(f+".DetectMultiplier", "%d out of range 2-255", p.DetectMultiplier)
	}
	v.bfdInterval(f+".ReceiveInterval", p.ReceiveInterval)
	v.bfdInterval(f+".TransmitInterval", p.TransmitInterval)
	v.bfdInterval(f+".EchoInterval", p.EchoInterval)
	if p.EchoInterval != 0 && !p.EchoMode {
		v.add(f+".EchoInterval", "set while EchoMode is false")
	}
	if p.MinimumTTL < 0 || p.MinimumTTL > 254 {
		v.add(f+".MinimumTTL", "%d out of range 1-254", p.MinimumTTL)
	}
}

func (pl PrefixList) validate(v *validator, f string) {
	if len(pl.Entries) == 0 {
		v.add(f+".Entries", "empty: a prefix list without entries denies everything")
		return
	}
	seqs := map[int]int{}
	var is4 *bool
	for i, e := range pl.Entries {
		ef := fmt.Sprintf("%s.Entries[%d]", f, i)
		v.entrySeq(ef, e.Seq, i, 5, 4294967295, seqs)
		v.action(ef+".Action", e.Action)
		if !v.prefix(ef+".Prefix", e.Prefix) {
			continue
		}
		four := e.Prefix.Addr().Is4()
		if is4 == nil {
			is4 = &four
		} else if *is4 != four {
			v.add(ef+".Prefix", "%s mixes IP versions; a prefix list is either IPv4 or IPv6", e.Prefix)
		}
		maxBits := e.Prefix.Addr().BitLen()
		if e.GE != 0 && (e.GE <= e.Prefix.Bits() || e.GE > maxBits) {
			v.add(ef+".GE", "%d must be longer than /%d and at most %d", e.GE, e.Prefix.Bits(), maxBits)
		}
		if e.LE != 0 && (e.LE <= e.Prefix.Bits() || e.LE > maxBits || (e.GE != 0 && e.LE < e.GE)) {
			v.add(ef+".LE", "%d must be longer than /%d, at least GE and at most %d", e.LE, e.Prefix.Bits(), maxBits)
		}
	}
}

func (cl CommunityList) validate(v *validator, f string) {
	if len(cl.Entries) == 0 {
		v.add(f+".Entries", "empty: a community list without entries matches nothing")
		return
	}
	seqs := map[int]int{}
	for i, e := range cl.Entries {
		ef := fmt.Sprintf("%s.Entries[%d]", f, i)
		v.entrySeq(ef, e.Seq, i, 5, 4294967295, seqs)
		v.action(ef+".Action", e.Action)
		if len(e.Communities) == 0 {
			v.add(ef+".Communities", "empty")
		}
		v.communities(ef+".Communities", e.Communities)
	}
}

func (rm RouteMap) validate(v *validator, f string, prefixLists, communityLists map[string]bool) {
	if len(rm.Entries) == 0 {
		v.add(f+".Entries", "empty: a route-map without entries denies everything")
		return
	}
	seqs := map[int]int{}
	for i, e := range rm.Entries {
		ef := fmt.Sprintf("%s.Entries[%d]", f, i)
		v.entrySeq(ef, e.Seq, i, 10, 65535, seqs)
		v.action(ef+".Action", e.Action)
		if n := e.Match.PrefixList; n != "" && !prefixLists[n] {
			v.add(ef+".Match.PrefixList", "no prefix list named %q", n)
		}
		if n := e.Match.CommunityList; n != "" && !communityLists[n] {
			v.add(ef+".Match.CommunityList", "no community list named %q", n)
		}
		v.communities(ef+".Set.Communities", e.Set.Communities)
		if e.Set.CommunitiesAdditive && len(e.Set.Communities) == 0 {
			v.add(ef+".Set.CommunitiesAdditive", "set without Communities to add")
		}
		for j, c := range e.Set.LargeCommunities {
			if !validLargeCommunity(c) {
				v.add(fmt.Sprintf("%s.Set.LargeCommunities[%d]", ef, j), "%q is not a large community (GA:LD1:LD2 with each part 0-4294967295)", c)
			}
		}
		if e.Set.LargeCommunitiesAdditive && len(e.Set.LargeCommunities) == 0 {
			v.add(ef+".Set.LargeCommunitiesAdditive", "set without LargeCommunities to add")
		}
		for j, asn := range e.Set.ASPathPrepend {
			v.asn(fmt.Sprintf("%s.Set.ASPathPrepend[%d]", ef, j), asn)
		}
	}
}

func (r StaticRoute) validate(v *validator, f string) {
	if !v.prefix(f+".Prefix", r.Prefix) {
		return
	}
	switch {
	case r.Blackhole && (r.NextHop.IsValid() || r.Interface != ""):
		v.add(f+".Blackhole", "set together with NextHop or Interface; use one")
	case !r.Blackhole && !r.NextHop.IsValid() && r.Interface == "":
		v.add(f+".NextHop", "required (or Interface, or Blackhole)")
	}
	if r.NextHop.IsValid() && v.unicast(f+".NextHop", r.NextHop) {
		if r.NextHop.Is4() != r.Prefix.Addr().Is4() {
			v.add(f+".NextHop", "%s is not of the same IP version as %s", r.NextHop, r.Prefix)
		}
		if r.NextHop.Is6() && r.NextHop.IsLinkLocalUnicast() && r.Interface == "" {
			v.add(f+".Interface", "required with link-local next hop %s", r.NextHop)
		}
	}
	if r.Interface != "" && !ifacePattern.MatchString(r.Interface) {
		v.add(f+".Interface", "%q is not an interface name", r.Interface)
	}
	if r.Distance < 0 || r.Distance > 255 {
		v.add(f+".Distance", "%d out of range 1-255", r.Distance)
	}
}

func (l Logging) validate(v *validator) {
	if l.File != "" && (!path.IsAbs(l.File) || strings.ContainsFunc(l.File, isSpaceOrControl)) {
		v.add("Log.File", "%q must be an absolute path without spaces", l.File)
	}
	seen := map[DebugArea]bool{}
	for i, d := range l.Debug {
		f := fmt.Sprintf("Log.Debug[%d]", i)
		if _, ok := debugCommands[d]; !ok {
			v.add(f, "unknown debug area %q (want bgp, bfd or zebra)", d)
		} else if seen[d] {
			v.add(f, "duplicate debug area %q", d)
		}
		seen[d] = true
	}
}

func (v *validator) hostname(f, h string) {
	if h == "" {
		v.add(f, "required")
		return
	}
	if len(h) > 63 {
		v.add(f, "%q longer than 63 characters", h)
		return
	}
	for label := range strings.SplitSeq(h, ".") {
		if !hostLabelPattern.MatchString(label) {
			v.add(f, "%q is not a valid hostname (letters, digits, '-' and '.')", h)
			return
		}
	}
}

// asn rejects the numbers that are not usable as a router's AS: 0 and
// 65535 and 4294967295 are reserved (RFC 7300), 23456 is AS_TRANS (RFC 6793).
func (v *validator) asn(f string, asn uint32) bool {
	switch asn {
	case 0, 23456, 65535, 4294967295:
		v.add(f, "%d is a reserved AS number", asn)
		return false
	}
	return true
}

func (v *validator) name(f, n string) bool {
	if !namePattern.MatchString(n) {
		v.add(f, "%q must be 1-63 letters, digits, '_', '.', ':' or '-', starting with a letter or digit", n)
		return false
	}
	return true
}

func (v *validator) unicast(f string, a netip.Addr) bool {
	switch {
	case !a.IsValid():
		v.add(f, "required")
	case a.Zone() != "":
		v.add(f, "%s: zoned addresses are not supported", a)
	case a.Is4In6():
		v.add(f, "%s: IPv4-mapped IPv6 address; use the IPv4 form", a)
	case a.IsUnspecified() || a.IsMulticast() || a.IsLoopback():
		v.add(f, "%s is not a unicast address", a)
	default:
		return true
	}
	return false
}

func (v *validator) prefix(f string, p netip.Prefix) bool {
	switch {
	case !p.IsValid():
		v.add(f, "required (a valid prefix such as 10.0.0.0/24)")
	case p.Addr().Zone() != "" || p.Addr().Is4In6():
		v.add(f, "%s: zoned or IPv4-mapped prefixes are not supported", p)
	case p != p.Masked():
		v.add(f, "%s has host bits set; did you mean %s?", p, p.Masked())
	default:
		return true
	}
	return false
}

func (v *validator) action(f string, a Action) {
	if a != Permit && a != Deny {
		v.add(f, "%q must be permit or deny", a)
	}
}

func (v *validator) communities(f string, cs []string) {
	for i, c := range cs {
		if !validCommunity(c) {
			v.add(fmt.Sprintf("%s[%d]", f, i), "%q is not a community (AA:NN with each part 0-65535, or a well-known name)", c)
		}
	}
}

// seconds checks that d is a whole number of seconds within [lo, hi], the
// unit FRR's BGP timers take.
func (v *validator) seconds(f string, d time.Duration, lo, hi int64) (int64, bool) {
	if d%time.Second != 0 {
		v.add(f, "%s is not a whole number of seconds", d)
		return 0, false
	}
	s := int64(d / time.Second)
	if s < lo || s > hi {
		v.add(f, "%s out of range %ds-%ds", d, lo, hi)
		return s, false
	}
	return s, true
}

// bfdInterval checks a BFD interval: whole milliseconds in 10 ms-60 s, the
// range bfdd accepts; zero keeps the default.
func (v *validator) bfdInterval(f string, d time.Duration) {
	if d == 0 {
		return
	}
	if d%time.Millisecond != 0 || d < 10*time.Millisecond || d > 60*time.Second {
		v.add(f, "%s out of range: whole milliseconds from 10ms to 60s", d)
	}
}

func validCommunity(c string) bool {
	if wellKnownCommunities[c] {
		return true
	}
	m := communityPattern.FindStringSubmatch(c)
	if m == nil {
		return false
	}
	for _, part := range m[1:] {
		if n, err := strconv.Atoi(part); err != nil || n > 65535 {
			return false
		}
	}
	return true
}

func validLargeCommunity(c string) bool {
	m := largeCommunityPattern.FindStringSubmatch(c)
	if m == nil {
		return false
	}
	for _, part := range m[1:] {
		if _, err := strconv.ParseUint(part, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// seqOrAuto numbers entries that leave Seq at zero by their position, the
// way FRR's own auto-sequencing does.
func seqOrAuto(seq, index, step int) int {
	if seq != 0 {
		return seq
	}
	return (index + 1) * step
}

func isControl(r rune) bool        { return r < 0x20 || r == 0x7f }
func isSpaceOrControl(r rune) bool { return r == ' ' || isControl(r) }

// uniqueNames checks each item's name (valid, not repeated), runs its own
// validation with the item's field path, and returns the set of names for
// reference checks.
func uniqueNames[T any](v *validator, field, what string, items []T, name func(T) string, validate func(T, string)) map[string]bool {
	seen := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if n := name(it); v.name(f+".Name", n) {
			if seen[n] {
				v.add(f+".Name", "duplicate %s %q", what, n)
			}
			seen[n] = true
		}
		validate(it, f)
	}
	return seen
}

// entrySeq checks one list entry's sequence number (explicit, or derived
// from its index in steps of step) against max and the entries before it,
// whose sequence numbers seqs records.
func (v *validator) entrySeq(ef string, seq, i, step, max int, seqs map[int]int) {
	eff := seqOrAuto(seq, i, step)
	if seq < 0 || seq > max {
		v.add(ef+".Seq", "%d out of range 1-%d", seq, max)
	} else if j, dup := seqs[eff]; dup {
		v.add(ef+".Seq", "sequence %d duplicates Entries[%d]", eff, j)
	}
	seqs[eff] = i
}
