package routers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BGPState is a BGP finite-state-machine state as FRR names it.
type BGPState string

const (
	BGPIdle        BGPState = "Idle"
	BGPConnect     BGPState = "Connect"
	BGPActive      BGPState = "Active"
	BGPOpenSent    BGPState = "OpenSent"
	BGPOpenConfirm BGPState = "OpenConfirm"
	BGPEstablished BGPState = "Established"
	BGPClearing    BGPState = "Clearing"
	BGPDeleted     BGPState = "Deleted"
)

// BGPNeighbor is one neighbor from `show bgp neighbors json`.
type BGPNeighbor struct {
	// Address is the neighbor's address (the key FRR lists it under).
	Address   netip.Addr
	Hostname  string
	RemoteASN uint32
	LocalASN  uint32
	PeerGroup string
	// Dynamic is set for neighbors accepted through a listen range, and
	// ListenRange is that range.
	Dynamic     bool
	ListenRange netip.Prefix
	State       BGPState
	// Uptime is how long the session has been Established (zero otherwise).
	Uptime time.Duration
	// LastReset is FRR's reason for the last session reset ("BFD down
	// received", "Waiting for peer OPEN", ...) and LastResetAgo how long ago
	// it happened; empty and zero if the session never reset. FRR also
	// gives a reason for resets before the first session ("No AFI/SAFI
	// activated for peer" while configuring; on FRR 10.7 "BFD down
	// initiated" while BFD was not up yet), so only ConnectionsDropped says
	// that an established session was lost.
	LastReset    string
	LastResetAgo time.Duration
	// LastNotification describes the last NOTIFICATION sent or received
	// ("Cease/Peer Unconfigured", ...), empty if none or if FRR does not
	// print it: for a session BFD took down, FRR 10.3 gives LastReset "BGP
	// Notification send" and "Cease/BFD Down" here, FRR 10.7 gives
	// "BFD down initiated" and no notification keys (although its
	// "notificationsSent" counts one).
	LastNotification       string
	ConnectionsEstablished int
	ConnectionsDropped     int
	// LocalAddress and RemotePort/LocalPort describe the TCP connection
	// while there is one.
	LocalAddress          netip.Addr
	LocalPort, RemotePort int
	// Families holds per-address-family prefix counters for the families
	// the session carries.
	Families map[AddressFamily]FamilyCounters
	// BFD is nil when BFD is not configured for the neighbor.
	BFD *NeighborBFD
	// HoldTime and KeepaliveTime are the BGP timers in use
	// ("bgpTimerHoldTimeMsecs", "bgpTimerKeepAliveIntervalMsecs"): once the
	// session is Established, the hold time negotiated in the OPENs (the
	// lower of the two sides') and the keepalive interval derived from it
	// (the configured one, at most a third of the hold time). Before that
	// FRR prints the configured values.
	HoldTime, KeepaliveTime time.Duration
	// ConfiguredHoldTime and ConfiguredKeepaliveTime are this side's
	// configured timers (FRR's defaults 180 s and 60 s unless set).
	ConfiguredHoldTime, ConfiguredKeepaliveTime time.Duration
	// PasswordConfigured is set when a TCP MD5 password is configured for
	// the session (directly or through its peer group): FRR prints
	// "authenticationEnabled": 1 then, and nothing otherwise. It says
	// nothing about whether the peer uses the same password (a mismatch
	// keeps the session from connecting at all).
	PasswordConfigured bool
}

// FamilyCounters are a session's prefix counters in one address family.
type FamilyCounters struct {
	// Accepted is the number of prefixes received and accepted by policy.
	Accepted int
	// Sent is the number of prefixes advertised to the neighbor.
	Sent int
}

// PrefixesReceived is the sum of accepted prefixes over all families.
func (n BGPNeighbor) PrefixesReceived() int {
	total := 0
	for _, c := range n.Families {
		total += c.Accepted
	}
	return total
}

// PrefixesSent is the sum of sent prefixes over all families.
func (n BGPNeighbor) PrefixesSent() int {
	total := 0
	for _, c := range n.Families {
		total += c.Sent
	}
	return total
}

// NeighborBFD is BGP's view of the BFD session it registered.
type NeighborBFD struct {
	// Multihop is true for a multihop BFD session.
	Multihop         bool
	DetectMultiplier int
	ReceiveInterval  time.Duration
	TransmitInterval time.Duration
	// Status is "Up", "Down" or "Unknown", as BGP last heard from bfdd.
	Status string
	// Profile is the BFD profile the neighbor uses, if any. FRR 10.3 does
	// not print it (empty); FRR 10.7 does.
	Profile string
}

type rawNeighbor struct {
	RemoteAS               jsonUint `json:"remoteAs"`
	LocalAS                jsonUint `json:"localAs"`
	Hostname               string   `json:"hostname"`
	PeerGroup              string   `json:"peerGroup"`
	DynamicPeer            bool     `json:"dynamicPeer"`
	PeerSubnetRangeGroup   string   `json:"peerSubnetRangeGroup"`
	State                  string   `json:"bgpState"`
	UpMsec                 int64    `json:"bgpTimerUpMsec"`
	LastResetDueTo         string   `json:"lastResetDueTo"`
	LastResetTimerMsecs    int64    `json:"lastResetTimerMsecs"`
	LastNotificationReason string   `json:"lastNotificationReason"`
	LastErrorCodeSubcode   string   `json:"lastErrorCodeSubcode"`
	HoldMsecs              int64    `json:"bgpTimerHoldTimeMsecs"`
	KeepaliveMsecs         int64    `json:"bgpTimerKeepAliveIntervalMsecs"`
	CfgHoldMsecs           int64    `json:"bgpTimerConfiguredHoldTimeMsecs"`
	CfgKeepaliveMsecs      int64    `json:"bgpTimerConfiguredKeepAliveIntervalMsecs"`
	AuthEnabled            int      `json:"authenticationEnabled"`
	ConnectionsEstablished int      `json:"connectionsEstablished"`
	ConnectionsDropped     int      `json:"connectionsDropped"`
	HostLocal              string   `json:"hostLocal"`
	PortLocal              int      `json:"portLocal"`
	PortForeign            int      `json:"portForeign"`
	AddressFamilyInfo      map[string]struct {
		Accepted int `json:"acceptedPrefixCounter"`
		Sent     int `json:"sentPrefixCounter"`
	} `json:"addressFamilyInfo"`
	PeerBFDInfo *struct {
		Type             string `json:"type"`
		DetectMultiplier int    `json:"detectMultiplier"`
		RxMinInterval    int64  `json:"rxMinInterval"`
		TxMinInterval    int64  `json:"txMinInterval"`
		Status           string `json:"status"`
		Profile          string `json:"profile"`
	} `json:"peerBfdInfo"`
}

// bgpFamilyKeys maps FRR's JSON family keys to address families.
var bgpFamilyKeys = map[string]AddressFamily{"ipv4Unicast": IPv4Unicast, "ipv6Unicast": IPv6Unicast}

func parseNeighbors(b []byte) ([]BGPNeighbor, error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	var out []BGPNeighbor
	for key, msg := range raw {
		addr, err := netip.ParseAddr(key)
		if err != nil {
			// Peer groups and interface neighbors are listed by name; they
			// are not sessions with an address.
			continue
		}
		var r rawNeighbor
		if err := decodeJSON(msg, &r); err != nil {
			return nil, fmt.Errorf("neighbor %s: %w", key, err)
		}
		n := BGPNeighbor{
			Address: addr, Hostname: r.Hostname, RemoteASN: uint32(r.RemoteAS), LocalASN: uint32(r.LocalAS),
			PeerGroup: r.PeerGroup, Dynamic: r.DynamicPeer, State: BGPState(r.State),
			LastReset: r.LastResetDueTo, LastResetAgo: time.Duration(r.LastResetTimerMsecs) * time.Millisecond,
			ConnectionsEstablished: r.ConnectionsEstablished, ConnectionsDropped: r.ConnectionsDropped,
			LocalPort: r.PortLocal, RemotePort: r.PortForeign,
			Families: map[AddressFamily]FamilyCounters{},
		}
		ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
		n.HoldTime, n.KeepaliveTime = ms(r.HoldMsecs), ms(r.KeepaliveMsecs)
		n.ConfiguredHoldTime, n.ConfiguredKeepaliveTime = ms(r.CfgHoldMsecs), ms(r.CfgKeepaliveMsecs)
		n.PasswordConfigured = r.AuthEnabled != 0
		// FRR 10.3 and 10.7 mark a dynamic neighbor here only by the listen
		// range it came through ("dynamicPeer" is a key of `show bgp
		// summary json`); it is read too in case a version adds it.
		if p, err := netip.ParsePrefix(r.PeerSubnetRangeGroup); err == nil {
			n.Dynamic, n.ListenRange = true, p
		}
		// FRR fills what it does not know yet with "Unknown" and -1.
		if n.Hostname == "Unknown" {
			n.Hostname = ""
		}
		n.LocalPort, n.RemotePort = max(n.LocalPort, 0), max(n.RemotePort, 0)
		if n.State == BGPEstablished {
			n.Uptime = time.Duration(r.UpMsec) * time.Millisecond
		}
		n.LastNotification = r.LastNotificationReason
		if n.LastNotification == "" {
			n.LastNotification = r.LastErrorCodeSubcode
		}
		if a, err := netip.ParseAddr(r.HostLocal); err == nil {
			n.LocalAddress = a
		}
		for k, c := range r.AddressFamilyInfo {
			if af, ok := bgpFamilyKeys[k]; ok {
				n.Families[af] = FamilyCounters{Accepted: c.Accepted, Sent: c.Sent}
			}
		}
		if bi := r.PeerBFDInfo; bi != nil {
			n.BFD = &NeighborBFD{
				Multihop: strings.Contains(bi.Type, "multi"), DetectMultiplier: bi.DetectMultiplier,
				ReceiveInterval:  time.Duration(bi.RxMinInterval) * time.Millisecond,
				TransmitInterval: time.Duration(bi.TxMinInterval) * time.Millisecond,
				Status:           bi.Status, Profile: bi.Profile,
			}
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b BGPNeighbor) int { return a.Address.Compare(b.Address) })
	return out, nil
}

// BFDPeer is one session from `show bfd peers json`.
type BFDPeer struct {
	Peer      netip.Addr
	Local     netip.Addr
	Interface string
	VRF       string
	Multihop  bool
	// Status is "up", "down", "init" or "shutdown".
	Status string
	// Uptime is how long the session has been up; Downtime how long it has
	// been down (zero when up).
	Uptime, Downtime time.Duration
	// Diagnostic and RemoteDiagnostic explain the last state change
	// ("control detection time expired", "neighbor signaled session down").
	Diagnostic, RemoteDiagnostic string
	ID, RemoteID                 uint32
	Passive                      bool
	// Profile is the session's BFD profile; FRR 10.3 does not print it
	// (empty), FRR 10.7 does.
	Profile string
	// Type is "configured" for a session from the bfd block and "dynamic"
	// for one a client daemon (bgpd) asked for.
	Type       string
	MinimumTTL int
	// Local timers (what this side asks for) and the peer's.
	DetectMultiplier          int
	ReceiveInterval           time.Duration
	TransmitInterval          time.Duration
	EchoReceiveInterval       time.Duration
	EchoTransmitInterval      time.Duration
	RemoteDetectMultiplier    int
	RemoteReceiveInterval     time.Duration
	RemoteTransmitInterval    time.Duration
	RemoteEchoReceiveInterval time.Duration
	// DetectionTimeout is bfdd's own detection time for the session
	// ("detection-timeout", FRR 10.7; zero on FRR 10.3, which does not
	// print it): what DetectionTime computes while the session is up, and
	// the slow-start value (3 s with the 1 s timers of a down session)
	// while it is not.
	DetectionTimeout time.Duration
}

// DetectionTime is how long the local side waits without packets before
// declaring the peer down: the peer's multiplier times the slower of the
// intervals the two sides negotiated (RFC 5880 6.8.4).
func (p BFDPeer) DetectionTime() time.Duration {
	return time.Duration(p.RemoteDetectMultiplier) * max(p.ReceiveInterval, p.RemoteTransmitInterval)
}

type rawBFDPeer struct {
	Multihop                  bool   `json:"multihop"`
	Peer                      string `json:"peer"`
	Local                     string `json:"local"`
	VRF                       string `json:"vrf"`
	Interface                 string `json:"interface"`
	ID                        uint32 `json:"id"`
	RemoteID                  uint32 `json:"remote-id"`
	PassiveMode               bool   `json:"passive-mode"`
	Type                      string `json:"type"`
	Profile                   string `json:"profile"`
	MinimumTTL                int    `json:"minimum-ttl"`
	Status                    string `json:"status"`
	Uptime                    int64  `json:"uptime"`
	Downtime                  int64  `json:"downtime"`
	Diagnostic                string `json:"diagnostic"`
	RemoteDiagnostic          string `json:"remote-diagnostic"`
	ReceiveInterval           int64  `json:"receive-interval"`
	TransmitInterval          int64  `json:"transmit-interval"`
	EchoReceiveInterval       int64  `json:"echo-receive-interval"`
	EchoTransmitInterval      int64  `json:"echo-transmit-interval"`
	DetectMultiplier          int    `json:"detect-multiplier"`
	RemoteReceiveInterval     int64  `json:"remote-receive-interval"`
	RemoteTransmitInterval    int64  `json:"remote-transmit-interval"`
	RemoteEchoReceiveInterval int64  `json:"remote-echo-receive-interval"`
	RemoteDetectMultiplier    int    `json:"remote-detect-multiplier"`
	DetectionTimeout          int64  `json:"detection-timeout"`
}

func parseBFDPeers(b []byte) ([]BFDPeer, error) {
	var raw []rawBFDPeer
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	out := make([]BFDPeer, 0, len(raw))
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	for _, r := range raw {
		peer, err := netip.ParseAddr(r.Peer)
		if err != nil {
			return nil, fmt.Errorf("bfd peer %q: %w", r.Peer, err)
		}
		p := BFDPeer{
			Peer: peer, Interface: r.Interface, VRF: r.VRF, Multihop: r.Multihop, Status: r.Status,
			Uptime: time.Duration(r.Uptime) * time.Second, Downtime: time.Duration(r.Downtime) * time.Second,
			Diagnostic: r.Diagnostic, RemoteDiagnostic: r.RemoteDiagnostic, ID: r.ID, RemoteID: r.RemoteID,
			Passive: r.PassiveMode, Profile: r.Profile, MinimumTTL: r.MinimumTTL, Type: r.Type,
			DetectMultiplier: r.DetectMultiplier, ReceiveInterval: ms(r.ReceiveInterval),
			TransmitInterval: ms(r.TransmitInterval), EchoReceiveInterval: ms(r.EchoReceiveInterval),
			EchoTransmitInterval: ms(r.EchoTransmitInterval), RemoteDetectMultiplier: r.RemoteDetectMultiplier,
			RemoteReceiveInterval: ms(r.RemoteReceiveInterval), RemoteTransmitInterval: ms(r.RemoteTransmitInterval),
			RemoteEchoReceiveInterval: ms(r.RemoteEchoReceiveInterval), DetectionTimeout: ms(r.DetectionTimeout),
		}
		if a, err := netip.ParseAddr(r.Local); err == nil {
			p.Local = a
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b BFDPeer) int { return a.Peer.Compare(b.Peer) })
	return out, nil
}

// Route is one entry of zebra's RIB (`show ip route json`).
type Route struct {
	Prefix netip.Prefix
	// Protocol is the source: "bgp", "static", "connected", "kernel", ...
	Protocol string
	// Selected is zebra's choice for the prefix; Installed says it is in the
	// kernel (FIB). A selected route that is not installed is a problem.
	Selected  bool
	Installed bool
	Queued    bool
	Failed    bool
	Distance  int
	Metric    int
	Table     int
	// Uptime is FRR's text for the route's age ("00:01:02").
	Uptime   string
	NextHops []NextHop
}

// NextHop is one next hop of a RIB route.
type NextHop struct {
	// IP is the gateway; invalid for a directly connected or interface-only
	// next hop.
	IP        netip.Addr
	Interface string
	// Active next hops are usable; FIB ones are in the kernel.
	Active bool
	FIB    bool
	// Recursive next hops (BGP's, not directly connected) are resolved by
	// the Resolver entries that follow them.
	Recursive         bool
	Resolver          bool
	DirectlyConnected bool
	OnLink            bool
	Weight            int
}

// Gateways are the route's next-hop addresses as the protocol gave them:
// active, non-resolver next hops with an address, sorted and unique.
func (r Route) Gateways() []netip.Addr {
	var gws []netip.Addr
	for _, nh := range r.NextHops {
		if nh.Active && !nh.Resolver && nh.IP.IsValid() {
			gws = append(gws, nh.IP)
		}
	}
	return sortedUnique(gws)
}

type rawRoute struct {
	Prefix    string `json:"prefix"`
	Protocol  string `json:"protocol"`
	Selected  bool   `json:"selected"`
	Installed bool   `json:"installed"`
	Queued    bool   `json:"queued"`
	Failed    bool   `json:"failed"`
	Distance  int    `json:"distance"`
	Metric    int    `json:"metric"`
	Table     int    `json:"table"`
	Uptime    string `json:"uptime"`
	NextHops  []struct {
		IP                string `json:"ip"`
		InterfaceName     string `json:"interfaceName"`
		Active            bool   `json:"active"`
		FIB               bool   `json:"fib"`
		Recursive         bool   `json:"recursive"`
		Resolver          bool   `json:"resolver"`
		DirectlyConnected bool   `json:"directlyConnected"`
		OnLink            bool   `json:"onLink"`
		Weight            int    `json:"weight"`
	} `json:"nexthops"`
}

func parseRoutes(b []byte) ([]Route, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		// FRR prints nothing for a prefix it has no route for.
		return nil, nil
	}
	var raw map[string][]rawRoute
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	var out []Route
	for key, entries := range raw {
		for _, r := range entries {
			p := r.Prefix
			if p == "" {
				p = key
			}
			prefix, err := netip.ParsePrefix(p)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", p, err)
			}
			rt := Route{
				Prefix: prefix, Protocol: r.Protocol, Selected: r.Selected, Installed: r.Installed,
				Queued: r.Queued, Failed: r.Failed, Distance: r.Distance, Metric: r.Metric, Table: r.Table, Uptime: r.Uptime,
			}
			for _, nh := range r.NextHops {
				n := NextHop{
					Interface: nh.InterfaceName, Active: nh.Active, FIB: nh.FIB, Recursive: nh.Recursive,
					Resolver: nh.Resolver, DirectlyConnected: nh.DirectlyConnected, OnLink: nh.OnLink, Weight: nh.Weight,
				}
				if a, err := netip.ParseAddr(nh.IP); err == nil {
					n.IP = a
				}
				rt.NextHops = append(rt.NextHops, n)
			}
			out = append(out, rt)
		}
	}
	slices.SortStableFunc(out, func(a, b Route) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if c := a.Prefix.Bits() - b.Prefix.Bits(); c != 0 {
			return c
		}
		return strings.Compare(a.Protocol, b.Protocol)
	})
	return out, nil
}

// KernelRoute is one entry of the kernel's routing table (`ip -j route`).
type KernelRoute struct {
	Dst      netip.Prefix
	Type     string
	Protocol string
	Scope    string
	Metric   int
	Dev      string
	PrefSrc  netip.Addr
	Flags    []string
	// Gateway is set for a single-path route, NextHops for a multipath one.
	Gateway  netip.Addr
	NextHops []KernelNextHop
}

// KernelNextHop is one path of a multipath kernel route.
type KernelNextHop struct {
	Gateway netip.Addr
	Dev     string
	Weight  int
	Flags   []string
}

// Gateways are the route's gateway addresses, single- or multipath,
// sorted and unique.
func (r KernelRoute) Gateways() []netip.Addr {
	var gws []netip.Addr
	if r.Gateway.IsValid() {
		gws = append(gws, r.Gateway)
	}
	for _, nh := range r.NextHops {
		if nh.Gateway.IsValid() {
			gws = append(gws, nh.Gateway)
		}
	}
	return sortedUnique(gws)
}

type rawKernelRoute struct {
	Type     string             `json:"type"`
	Dst      string             `json:"dst"`
	Gateway  string             `json:"gateway"`
	Dev      string             `json:"dev"`
	Protocol string             `json:"protocol"`
	Scope    string             `json:"scope"`
	Metric   int                `json:"metric"`
	PrefSrc  string             `json:"prefsrc"`
	Flags    []string           `json:"flags"`
	NextHops []rawKernelNextHop `json:"nexthops"`
}

type rawKernelNextHop struct {
	Gateway string   `json:"gateway"`
	Dev     string   `json:"dev"`
	Weight  int      `json:"weight"`
	Flags   []string `json:"flags"`
}

func parseKernelRoutes(b []byte) ([]KernelRoute, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var raw []rawKernelRoute
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	out := make([]KernelRoute, 0, len(raw))
	for _, r := range raw {
		dst, err := parseKernelDst(r.Dst, r.Gateway, r.NextHops)
		if err != nil {
			return nil, err
		}
		kr := KernelRoute{
			Dst: dst, Type: r.Type, Protocol: r.Protocol, Scope: r.Scope, Metric: r.Metric, Dev: r.Dev, Flags: r.Flags,
		}
		if a, err := netip.ParseAddr(r.Gateway); err == nil {
			kr.Gateway = a
		}
		if a, err := netip.ParseAddr(r.PrefSrc); err == nil {
			kr.PrefSrc = a
		}
		for _, nh := range r.NextHops {
			knh := KernelNextHop{Dev: nh.Dev, Weight: nh.Weight, Flags: nh.Flags}
			if a, err := netip.ParseAddr(nh.Gateway); err == nil {
				knh.Gateway = a
			}
			kr.NextHops = append(kr.NextHops, knh)
		}
		out = append(out, kr)
	}
	return out, nil
}

// parseKernelDst reads ip's "dst": "default", a prefix, or a bare address
// for a host route. The family of "default" comes from the gateways.
func parseKernelDst(dst, gateway string, nhs []rawKernelNextHop) (netip.Prefix, error) {
	if dst == "default" {
		gw := gateway
		if gw == "" && len(nhs) > 0 {
			gw = nhs[0].Gateway
		}
		if strings.Contains(gw, ":") {
			return netip.MustParsePrefix("::/0"), nil
		}
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(dst, "/") {
		p, err := netip.ParsePrefix(dst)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("kernel route dst %q: %w", dst, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(dst)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("kernel route dst %q: %w", dst, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// jsonUint decodes a number that FRR may print as a number or a string.
type jsonUint uint64

func (u *jsonUint) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// asdot ("1.10") and other non-plain forms are left at zero rather
		// than failing the whole neighbor list.
		return nil
	}
	*u = jsonUint(v)
	return nil
}

func sortedUnique(as []netip.Addr) []netip.Addr {
	slices.SortFunc(as, netip.Addr.Compare)
	return slices.Compact(as)
}
