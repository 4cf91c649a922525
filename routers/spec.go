package routers

import (
	"net/netip"
	"reflect"
	"time"
)

// DefaultConnectRetry is the BGP connect-retry timer rendered for every
// neighbor and peer group that does not set its own. FRR's default is 120 s:
// a session whose first attempt fails (the peer is not up yet, which is the
// normal case when a lab starts) would then sit in Active for two minutes.
// One second, not five: at lab-up the speakers' FRR gets its neighbors a
// line at a time from frr-reload and refuses the first attempt ("No AFI/SAFI
// activated"), so the session waits for the next retry on both ends. A
// retry costs one SYN between lab containers.
const DefaultConnectRetry = 1 * time.Second

// DefaultLogFile is where the rendered config sends FRR's log. The daemons
// run detached from the container's stdout, so a file read through Exec is the
// only place their log can be found.
const DefaultLogFile = "/var/log/frr/frr.log"

// Spec is the typed configuration of one FRR router. The zero value of every
// optional field means "not configured"; Render turns a Spec into FRR's
// configuration files and Validate rejects what FRR would refuse or
// misinterpret, before any container starts.
type Spec struct {
	// Hostname is the FRR hostname and the container's hostname.
	Hostname string
	// ASN is the local autonomous system number (2- or 4-byte). Zero means
	// the router runs no BGP: it is a plain forwarder with static routes.
	ASN uint32
	// RouterID is the BGP router-id; it must be IPv4. Unset lets FRR pick the
	// highest interface address, which is fine unless the router has no IPv4.
	RouterID netip.Addr

	// Neighbors are BGP sessions to fixed addresses.
	Neighbors []Neighbor
	// PeerGroups hold settings shared by neighbors and listen ranges.
	PeerGroups []PeerGroup
	// ListenRanges accept sessions from any address in a prefix (dynamic
	// neighbors), as a router facing every node of a cluster does.
	ListenRanges []ListenRange
	// ListenLimit caps the number of dynamic neighbors; zero keeps FRR's
	// default (100).
	ListenLimit int

	// BFDProfiles are named BFD timer sets that neighbors refer to.
	BFDProfiles []BFDProfile

	// MaximumPaths enables eBGP ECMP with up to this many paths; zero or one
	// keeps a single best path.
	MaximumPaths int
	// MaximumPathsIBGP is the same for iBGP paths.
	MaximumPathsIBGP int
	// MultipathRelax lets paths from different neighboring ASes share ECMP
	// (bgp bestpath as-path multipath-relax). Without it, routes learned from
	// peers in different ASes never load-balance.
	MultipathRelax bool
	// NetworkImportCheck keeps FRR's default of originating a prefix only
	// while it is in the RIB. Off by default: a lab router usually pushes
	// prefixes (pod or service ranges) that it has no route for itself.
	NetworkImportCheck bool

	// Originate lists prefixes announced with BGP "network" statements; each
	// goes into the address family of its own IP version.
	Originate []netip.Prefix
	// Redistribute lists route sources redistributed into BGP, in both
	// address families.
	Redistribute []RouteSource

	// StaticRoutes are installed by staticd.
	StaticRoutes []StaticRoute

	// PrefixLists, CommunityLists and RouteMaps are the policy objects that
	// neighbors refer to by name.
	PrefixLists    []PrefixList
	CommunityLists []CommunityList
	RouteMaps      []RouteMap

	// Log controls FRR's log file and debug messages.
	Log Logging
}

// PeerSettings are the per-session settings that a Neighbor and a PeerGroup
// share. A neighbor in a peer group inherits every setting it leaves unset.
type PeerSettings struct {
	// RemoteASN is the peer's AS number; RemoteASKind can replace it with
	// FRR's "internal" or "external" keywords.
	RemoteASN    uint32
	RemoteASKind RemoteASKind
	// Description is free text shown in FRR's output.
	Description string
	// EBGPMultihop allows an eBGP peer this many hops away (TTL); zero keeps
	// the directly-connected check.
	EBGPMultihop int
	// UpdateSource is the interface name or local address the session is
	// sourced from (needed when peering between loopbacks).
	UpdateSource string
	// Password enables TCP MD5 authentication.
	Password string
	// Passive makes this side wait for the peer to connect.
	Passive bool
	// Keepalive and Hold set BGP timers; both zero keeps FRR's 60/180 s.
	Keepalive time.Duration
	Hold      time.Duration
	// ConnectRetry is the connect-retry timer; zero means
	// DefaultConnectRetry for neighbors outside peer groups and for peer
	// groups, and "inherit from the group" for group members.
	ConnectRetry time.Duration
	// BFD enables BFD on the session; BFDProfile names one of Spec.BFDProfiles
	// (empty uses bfdd's defaults: 300 ms x 3).
	//
	// FRR 10.3 as Debian trixie ships it (the default image is built from
	// forky's FRR 10.7 for this reason) does not start a BGP
	// session with BFD until its BFD session is up (FRRouting/frr#18562,
	// fixed in 10.3.1). That works between static single-hop neighbors, whose
	// BFD sessions come up on their own, but a multihop session or a session
	// with a dynamic (listen-range) neighbor on the other end then never
	// comes up: their BFD sessions only exist once BGP is up.
	BFD        bool
	BFDProfile string
	// AddressFamilies are activated for the session. Empty activates the
	// family of the neighbor's own address (IPv4 for peer groups).
	AddressFamilies []AddressFamily
	// NextHopSelf rewrites the next hop of routes sent to the peer.
	NextHopSelf bool
	// AddPathTxAllPaths advertises every path of a prefix to the peer, not
	// only the best one, so that a router behind this one (a transit
	// router in multi-hop) learns one path per announcing node.
	AddPathTxAllPaths bool
	// RouteMapIn and RouteMapOut name route-maps applied in every activated
	// address family.
	RouteMapIn  string
	RouteMapOut string
	// SoftReconfigurationInbound keeps received routes before policy, so that
	// "received routes" queries and inbound policy changes work.
	SoftReconfigurationInbound bool
}

// Neighbor is a BGP session to a fixed address.
type Neighbor struct {
	Address netip.Addr
	// PeerGroup makes the neighbor a member of the named Spec.PeerGroups entry.
	PeerGroup string
	PeerSettings
}

// PeerGroup is a named set of PeerSettings.
type PeerGroup struct {
	Name string
	PeerSettings
}

// ListenRange accepts BGP sessions from any address in Prefix, with the
// settings of the peer group it names (which must carry the remote AS).
type ListenRange struct {
	Prefix    netip.Prefix
	PeerGroup string
}

// RemoteASKind says how a session's remote AS is given.
type RemoteASKind int

const (
	// RemoteASNumber uses PeerSettings.RemoteASN.
	RemoteASNumber RemoteASKind = iota
	// RemoteASInternal accepts any peer in the local AS (iBGP).
	RemoteASInternal
	// RemoteASExternal accepts any peer outside the local AS (eBGP), which
	// suits a listen range facing nodes with different ASNs.
	RemoteASExternal
)

// AddressFamily is a BGP address family.
type AddressFamily string

const (
	IPv4Unicast AddressFamily = "ipv4 unicast"
	IPv6Unicast AddressFamily = "ipv6 unicast"
)

// RouteSource names a source of routes for redistribution into BGP.
type RouteSource string

const (
	RouteSourceConnected RouteSource = "connected"
	RouteSourceStatic    RouteSource = "static"
	RouteSourceKernel    RouteSource = "kernel"
)

// BFDProfile is a named set of BFD timers. Zero fields keep bfdd's defaults
// (300 ms intervals, multiplier 3, echo off).
type BFDProfile struct {
	Name string
	// DetectMultiplier is how many missed packets declare the peer down
	// (2-255).
	DetectMultiplier int
	// ReceiveInterval and TransmitInterval are the desired minimum intervals
	// (10 ms - 60 s, whole milliseconds).
	ReceiveInterval  time.Duration
	TransmitInterval time.Duration
	// EchoMode enables echo packets (single-hop only) at EchoInterval.
	EchoMode     bool
	EchoInterval time.Duration
	// Passive waits for the peer to start the session.
	Passive bool
	// MinimumTTL is the lowest TTL accepted on multihop sessions (1-254);
	// zero keeps bfdd's 254.
	MinimumTTL int
}

// StaticRoute is a route installed by staticd. Exactly one of NextHop,
// Interface (or both, for a next hop on a given interface) or Blackhole.
type StaticRoute struct {
	Prefix    netip.Prefix
	NextHop   netip.Addr
	Interface string
	Blackhole bool
	// Distance is the administrative distance (1-255); zero keeps 1.
	Distance int
}

// Action is permit or deny in a list or route-map entry.
type Action string

const (
	Permit Action = "permit"
	Deny   Action = "deny"
)

// PrefixList is an IPv4 or IPv6 prefix list; all its entries must be of one
// IP version, which decides the list's kind.
type PrefixList struct {
	Name    string
	Entries []PrefixListEntry
}

// PrefixListEntry matches Prefix, or with GE/LE (zero: unset) the prefixes
// inside it whose length is in [GE, LE].
type PrefixListEntry struct {
	Seq    int
	Action Action
	Prefix netip.Prefix
	GE, LE int
}

// CommunityList is a standard BGP community list.
type CommunityList struct {
	Name    string
	Entries []CommunityListEntry
}

// CommunityListEntry matches routes carrying all of Communities
// ("65000:100" or a well-known name such as "no-export").
type CommunityListEntry struct {
	Seq         int
	Action      Action
	Communities []string
}

// RouteMap is a named route-map.
type RouteMap struct {
	Name    string
	Entries []RouteMapEntry
}

// RouteMapEntry is one sequence of a route-map. An entry without matches
// matches every route.
type RouteMapEntry struct {
	Seq    int
	Action Action
	Match  RouteMapMatch
	Set    RouteMapSet
}

// RouteMapMatch holds the conditions of a route-map entry (all must hold).
type RouteMapMatch struct {
	// PrefixList names an IPv4 or IPv6 prefix list.
	PrefixList string
	// CommunityList names a community list.
	CommunityList string
}

// RouteMapSet holds the actions of a route-map entry.
type RouteMapSet struct {
	// LocalPreference, when not nil, sets local-preference.
	LocalPreference *uint32
	// Metric, when not nil, sets the MED.
	Metric *uint32
	// Communities replace the route's communities, or are added to them when
	// CommunitiesAdditive is set.
	Communities         []string
	CommunitiesAdditive bool
	// LargeCommunities (RFC 8092, "GA:LD1:LD2" with each part 0-4294967295)
	// replace the route's large communities, or are added to them when
	// LargeCommunitiesAdditive is set.
	LargeCommunities         []string
	LargeCommunitiesAdditive bool
	// ASPathPrepend prepends these AS numbers.
	ASPathPrepend []uint32
	// IPv6NextHopPreferGlobal installs a received IPv6 route through the
	// peer's global next hop instead of its link-local one, so the next hop
	// seen in the RIB is the address the session was configured with.
	IPv6NextHopPreferGlobal bool
}

// Logging controls FRR's log.
type Logging struct {
	// File is the log file; empty means DefaultLogFile.
	File string
	// Debug turns on FRR debug messages for the named areas.
	Debug []DebugArea
}

// DebugArea is a group of FRR debug commands.
type DebugArea string

const (
	// DebugBGP logs neighbor events, updates and next-hop tracking.
	DebugBGP DebugArea = "bgp"
	// DebugBFD logs BFD peer and network events.
	DebugBFD DebugArea = "bfd"
	// DebugZebra logs RIB and kernel (netlink) events.
	DebugZebra DebugArea = "zebra"
)

// Uint32 returns a pointer to v, for the optional numbers of RouteMapSet.
func Uint32(v uint32) *uint32 { return &v }

// Clone returns a copy of s that shares no list with it, at any depth: a
// router keeps its own copy of what it runs, and callers edit theirs.
func (s Spec) Clone() Spec {
	out := reflect.New(reflect.TypeFor[Spec]()).Elem()
	deepCopy(out, reflect.ValueOf(s))
	return out.Interface().(Spec)
}

// deepCopy copies src into dst, giving every slice its own backing array.
// Spec holds structs, slices, strings, numbers and netip values only.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		for i := range src.NumField() {
			if !src.Type().Field(i).IsExported() {
				dst.Set(src) // a value type such as netip.Addr
				return
			}
		}
		for i := range src.NumField() {
			deepCopy(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}
