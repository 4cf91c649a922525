package routers

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// validBase is a spec that uses every list the validator inspects, so that
// each case below breaks exactly one thing.
func validBase() Spec {
	return Spec{
		Hostname: "r1",
		ASN:      64512,
		BFDProfiles: []BFDProfile{{
			Name: "fast", DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond,
		}},
		PeerGroups:   []PeerGroup{{Name: "nodes", PeerSettings: PeerSettings{RemoteASN: 64513}}},
		ListenRanges: []ListenRange{{Prefix: prefix("172.28.2.0/24"), PeerGroup: "nodes"}},
		Neighbors: []Neighbor{
			{Address: addr("172.28.1.3"), PeerSettings: PeerSettings{RemoteASN: 64514, BFD: true, BFDProfile: "fast"}},
			{Address: addr("172.28.1.4"), PeerGroup: "nodes"},
		},
		PrefixLists:    []PrefixList{{Name: "pl", Entries: []PrefixListEntry{{Action: Permit, Prefix: prefix("10.0.0.0/8"), LE: 32}}}},
		CommunityLists: []CommunityList{{Name: "cl", Entries: []CommunityListEntry{{Action: Permit, Communities: []string{"64512:1"}}}}},
		RouteMaps:      []RouteMap{{Name: "rm", Entries: []RouteMapEntry{{Action: Permit}}}},
		Originate:      []netip.Prefix{prefix("10.1.0.0/16")},
		StaticRoutes:   []StaticRoute{{Prefix: prefix("10.2.0.0/16"), NextHop: addr("172.28.1.1")}},
	}
}

func TestValidateAcceptsGoldenSpecs(t *testing.T) {
	if err := validBase().Validate(); err != nil {
		t.Fatalf("base spec: %v", err)
	}
	for name, s := range goldenSpecs() {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Spec)
		field  string // the FieldError.Field expected
		reason string // a substring of its reason
	}{
		{"missing hostname", func(s *Spec) { s.Hostname = "" }, "Hostname", "required"},
		{"hostname with space", func(s *Spec) { s.Hostname = "r 1" }, "Hostname", "not a valid hostname"},
		{"hostname too long", func(s *Spec) { s.Hostname = strings.Repeat("a", 64) }, "Hostname", "longer than 63"},
		{"hostname trailing dash", func(s *Spec) { s.Hostname = "r1-" }, "Hostname", "not a valid hostname"},
		{"AS_TRANS", func(s *Spec) { s.ASN = 23456 }, "ASN", "reserved"},
		{"ASN 65535", func(s *Spec) { s.ASN = 65535 }, "ASN", "reserved"},
		{"ASN 4294967295", func(s *Spec) { s.ASN = 4294967295 }, "ASN", "reserved"},
		{"BGP settings without ASN", func(s *Spec) { s.ASN = 0 }, "Neighbors", "ASN is 0"},
		{"IPv6 router-id", func(s *Spec) { s.RouterID = addr("fd00::1") }, "RouterID", "IPv4"},
		{"unspecified router-id", func(s *Spec) { s.RouterID = addr("0.0.0.0") }, "RouterID", "IPv4"},
		{"listen limit", func(s *Spec) { s.ListenLimit = 70000 }, "ListenLimit", "out of range"},
		{"maximum paths", func(s *Spec) { s.MaximumPaths = MaxECMPPaths + 1 }, "MaximumPaths", "out of range"},
		{"maximum paths ibgp", func(s *Spec) { s.MaximumPathsIBGP = -1 }, "MaximumPathsIBGP", "out of range"},

		{"neighbor without address", func(s *Spec) { s.Neighbors[0].Address = netip.Addr{} }, "Neighbors[0].Address", "required"},
		{"neighbor multicast", func(s *Spec) { s.Neighbors[0].Address = addr("224.0.0.5") }, "Neighbors[0].Address", "not a unicast"},
		{"neighbor loopback", func(s *Spec) { s.Neighbors[0].Address = addr("127.0.0.1") }, "Neighbors[0].Address", "not a unicast"},
		{"neighbor zoned", func(s *Spec) { s.Neighbors[0].Address = addr("fe80::1%eth0") }, "Neighbors[0].Address", "zoned"},
		{"neighbor 4in6", func(s *Spec) { s.Neighbors[0].Address = addr("::ffff:10.0.0.1") }, "Neighbors[0].Address", "IPv4-mapped"},
		{"duplicate neighbor", func(s *Spec) { s.Neighbors[1].Address = s.Neighbors[0].Address }, "Neighbors[1].Address", "duplicates Neighbors[0]"},
		{"neighbor bad remote ASN", func(s *Spec) { s.Neighbors[0].RemoteASN = 23456 }, "Neighbors[0].RemoteASN", "reserved"},
		{"neighbor without remote AS", func(s *Spec) { s.Neighbors[0].RemoteASN = 0 }, "Neighbors[0].RemoteASN", "required"},
		{"remote ASN and kind", func(s *Spec) { s.Neighbors[0].RemoteASKind = RemoteASExternal }, "Neighbors[0].RemoteASN", "together with RemoteASKind"},
		{"unknown remote AS kind", func(s *Spec) { s.Neighbors[0].RemoteASKind = 7 }, "Neighbors[0].RemoteASKind", "unknown"},
		{"unknown peer group", func(s *Spec) { s.Neighbors[1].PeerGroup = "nope" }, "Neighbors[1].PeerGroup", "no peer group"},
		{"member overrides group AS", func(s *Spec) { s.Neighbors[1].RemoteASN = 64999 }, "Neighbors[1].RemoteASN", "already has a remote AS"},
		{"member and group without AS", func(s *Spec) {
			s.PeerGroups[0].RemoteASN = 0
			s.ListenRanges = nil
		}, "Neighbors[1].RemoteASN", "neither the neighbor nor peer group"},
		{"description newline", func(s *Spec) { s.Neighbors[0].Description = "a\nrouter bgp 1" }, "Neighbors[0].Description", "control characters"},
		{"multihop out of range", func(s *Spec) { s.Neighbors[0].EBGPMultihop = 256 }, "Neighbors[0].EBGPMultihop", "out of range"},
		{"update-source garbage", func(s *Spec) { s.Neighbors[0].UpdateSource = "eth 0" }, "Neighbors[0].UpdateSource", "neither an IP address nor an interface"},
		{"update-source family", func(s *Spec) { s.Neighbors[0].UpdateSource = "fd00::1" }, "Neighbors[0].UpdateSource", "same IP version"},
		{"update-source multicast", func(s *Spec) { s.Neighbors[0].UpdateSource = "224.0.0.1" }, "Neighbors[0].UpdateSource", "not a unicast"},
		{"password with space", func(s *Spec) { s.Neighbors[0].Password = "a b" }, "Neighbors[0].Password", "without spaces"},
		{"password too long", func(s *Spec) { s.Neighbors[0].Password = strings.Repeat("x", 81) }, "Neighbors[0].Password", "1-80"},
		{"hold below 3s", func(s *Spec) {
			s.Neighbors[0].Keepalive, s.Neighbors[0].Hold = time.Second, 2*time.Second
		}, "Neighbors[0].Hold", "at least 3s"},
		{"keepalive above hold", func(s *Spec) {
			s.Neighbors[0].Keepalive, s.Neighbors[0].Hold = 10*time.Second, 9*time.Second
		}, "Neighbors[0].Keepalive", "longer than Hold"},
		{"hold without keepalive", func(s *Spec) { s.Neighbors[0].Hold = 9 * time.Second }, "Neighbors[0].Keepalive", "set both"},
		{"fractional keepalive", func(s *Spec) {
			s.Neighbors[0].Keepalive, s.Neighbors[0].Hold = 1500*time.Millisecond, 9*time.Second
		}, "Neighbors[0].Keepalive", "whole number of seconds"},
		{"hold too long", func(s *Spec) {
			s.Neighbors[0].Keepalive, s.Neighbors[0].Hold = 3*time.Second, 70000*time.Second
		}, "Neighbors[0].Hold", "out of range"},
		{"connect retry fractional", func(s *Spec) { s.Neighbors[0].ConnectRetry = 500 * time.Millisecond }, "Neighbors[0].ConnectRetry", "whole number"},
		{"connect retry too long", func(s *Spec) { s.Neighbors[0].ConnectRetry = 70000 * time.Second }, "Neighbors[0].ConnectRetry", "out of range"},
		{"BFD profile without BFD", func(s *Spec) { s.Neighbors[0].BFD = false }, "Neighbors[0].BFDProfile", "BFD is false"},
		{"unknown BFD profile", func(s *Spec) { s.Neighbors[0].BFDProfile = "slow" }, "Neighbors[0].BFDProfile", "no BFD profile"},
		{"unknown address family", func(s *Spec) {
			s.Neighbors[0].AddressFamilies = []AddressFamily{"l2vpn evpn"}
		}, "Neighbors[0].AddressFamilies[0]", "unknown address family"},
		{"duplicate address family", func(s *Spec) {
			s.Neighbors[0].AddressFamilies = []AddressFamily{IPv4Unicast, IPv4Unicast}
		}, "Neighbors[0].AddressFamilies[1]", "duplicate"},
		{"unknown route-map in", func(s *Spec) { s.Neighbors[0].RouteMapIn = "x" }, "Neighbors[0].RouteMapIn", "no route-map"},
		{"unknown route-map out", func(s *Spec) { s.PeerGroups[0].RouteMapOut = "x" }, "PeerGroups[0].RouteMapOut", "no route-map"},

		{"peer group bad name", func(s *Spec) { s.PeerGroups[0].Name = "my group" }, "PeerGroups[0].Name", "must be 1-63"},
		{"peer group named like an address", func(s *Spec) {
			s.PeerGroups = append(s.PeerGroups, PeerGroup{Name: "10.0.0.1"})
		}, "PeerGroups[1].Name", "parses as an address"},
		{"duplicate peer group", func(s *Spec) {
			s.PeerGroups = append(s.PeerGroups, PeerGroup{Name: "nodes", PeerSettings: PeerSettings{RemoteASN: 1}})
		}, "PeerGroups[1].Name", "duplicate"},
		{"listen range host bits", func(s *Spec) { s.ListenRanges[0].Prefix = prefix("172.28.2.1/24") }, "ListenRanges[0].Prefix", "host bits"},
		{"listen range missing prefix", func(s *Spec) { s.ListenRanges[0].Prefix = netip.Prefix{} }, "ListenRanges[0].Prefix", "required"},
		{"duplicate listen range", func(s *Spec) {
			s.ListenRanges = append(s.ListenRanges, s.ListenRanges[0])
		}, "ListenRanges[1].Prefix", "duplicates"},
		{"listen range without group", func(s *Spec) { s.ListenRanges[0].PeerGroup = "" }, "ListenRanges[0].PeerGroup", "required"},
		{"listen range unknown group", func(s *Spec) { s.ListenRanges[0].PeerGroup = "x" }, "ListenRanges[0].PeerGroup", "no peer group"},
		{"listen range group without AS", func(s *Spec) {
			s.PeerGroups[0].RemoteASN = 0
			s.Neighbors = s.Neighbors[:1]
		}, "ListenRanges[0].PeerGroup", "no remote AS"},

		{"BFD profile bad name", func(s *Spec) { s.BFDProfiles[0].Name = "" }, "BFDProfiles[0].Name", "must be 1-63"},
		{"duplicate BFD profile", func(s *Spec) {
			s.BFDProfiles = append(s.BFDProfiles, BFDProfile{Name: "fast"})
		}, "BFDProfiles[1].Name", "duplicate"},
		{"BFD multiplier", func(s *Spec) { s.BFDProfiles[0].DetectMultiplier = 1 }, "BFDProfiles[0].DetectMultiplier", "2-255"},
		{"BFD receive too fast", func(s *Spec) { s.BFDProfiles[0].ReceiveInterval = 5 * time.Millisecond }, "BFDProfiles[0].ReceiveInterval", "out of range"},
		{"BFD transmit too slow", func(s *Spec) { s.BFDProfiles[0].TransmitInterval = 61 * time.Second }, "BFDProfiles[0].TransmitInterval", "out of range"},
		{"BFD sub-millisecond", func(s *Spec) { s.BFDProfiles[0].ReceiveInterval = 300*time.Millisecond + 1 }, "BFDProfiles[0].ReceiveInterval", "whole milliseconds"},
		{"BFD echo interval without echo", func(s *Spec) { s.BFDProfiles[0].EchoInterval = 50 * time.Millisecond }, "BFDProfiles[0].EchoInterval", "EchoMode is false"},
		{"BFD echo interval range", func(s *Spec) {
			s.BFDProfiles[0].EchoMode, s.BFDProfiles[0].EchoInterval = true, time.Millisecond
		}, "BFDProfiles[0].EchoInterval", "out of range"},
		{"BFD minimum TTL", func(s *Spec) { s.BFDProfiles[0].MinimumTTL = 255 }, "BFDProfiles[0].MinimumTTL", "out of range"},

		{"originate host bits", func(s *Spec) { s.Originate[0] = prefix("10.1.2.3/16") }, "Originate[0]", "host bits"},
		{"originate duplicate", func(s *Spec) { s.Originate = append(s.Originate, s.Originate[0]) }, "Originate[1]", "duplicates"},
		{"redistribute unknown", func(s *Spec) { s.Redistribute = []RouteSource{"ospf"} }, "Redistribute[0]", "unknown route source"},
		{"redistribute duplicate", func(s *Spec) {
			s.Redistribute = []RouteSource{RouteSourceStatic, RouteSourceStatic}
		}, "Redistribute[1]", "duplicate"},

		{"static without next hop", func(s *Spec) { s.StaticRoutes[0].NextHop = netip.Addr{} }, "StaticRoutes[0].NextHop", "required"},
		{"static blackhole with next hop", func(s *Spec) { s.StaticRoutes[0].Blackhole = true }, "StaticRoutes[0].Blackhole", "use one"},
		{"static next hop family", func(s *Spec) { s.StaticRoutes[0].NextHop = addr("fd00::1") }, "StaticRoutes[0].NextHop", "same IP version"},
		{"static link-local without interface", func(s *Spec) {
			s.StaticRoutes[0] = StaticRoute{Prefix: prefix("fd00:1::/64"), NextHop: addr("fe80::1")}
		}, "StaticRoutes[0].Interface", "required with link-local"},
		{"static bad interface", func(s *Spec) { s.StaticRoutes[0].Interface = "a-very-long-interface" }, "StaticRoutes[0].Interface", "not an interface name"},
		{"static distance", func(s *Spec) { s.StaticRoutes[0].Distance = 256 }, "StaticRoutes[0].Distance", "out of range"},
		{"static prefix host bits", func(s *Spec) { s.StaticRoutes[0].Prefix = prefix("10.2.0.1/16") }, "StaticRoutes[0].Prefix", "host bits"},

		{"prefix list empty", func(s *Spec) { s.PrefixLists[0].Entries = nil }, "PrefixLists[0].Entries", "empty"},
		{"prefix list bad action", func(s *Spec) { s.PrefixLists[0].Entries[0].Action = "allow" }, "PrefixLists[0].Entries[0].Action", "permit or deny"},
		{"prefix list mixed families", func(s *Spec) {
			s.PrefixLists[0].Entries = append(s.PrefixLists[0].Entries, PrefixListEntry{Action: Deny, Prefix: prefix("fd00::/8")})
		}, "PrefixLists[0].Entries[1].Prefix", "mixes IP versions"},
		{"prefix list ge too short", func(s *Spec) { s.PrefixLists[0].Entries[0].GE = 8 }, "PrefixLists[0].Entries[0].GE", "longer than /8"},
		{"prefix list le below ge", func(s *Spec) {
			s.PrefixLists[0].Entries[0].GE, s.PrefixLists[0].Entries[0].LE = 24, 16
		}, "PrefixLists[0].Entries[0].LE", "at least GE"},
		{"prefix list le too long", func(s *Spec) { s.PrefixLists[0].Entries[0].LE = 33 }, "PrefixLists[0].Entries[0].LE", "at most 32"},
		{"prefix list duplicate seq", func(s *Spec) {
			s.PrefixLists[0].Entries = append(s.PrefixLists[0].Entries, PrefixListEntry{Seq: 5, Action: Deny, Prefix: prefix("0.0.0.0/0")})
		}, "PrefixLists[0].Entries[1].Seq", "duplicates Entries[0]"},
		{"prefix list negative seq", func(s *Spec) { s.PrefixLists[0].Entries[0].Seq = -1 }, "PrefixLists[0].Entries[0].Seq", "out of range"},
		{"duplicate prefix list", func(s *Spec) { s.PrefixLists = append(s.PrefixLists, s.PrefixLists[0]) }, "PrefixLists[1].Name", "duplicate"},

		{"community list empty", func(s *Spec) { s.CommunityLists[0].Entries = nil }, "CommunityLists[0].Entries", "empty"},
		{"community out of range", func(s *Spec) {
			s.CommunityLists[0].Entries[0].Communities = []string{"70000:1"}
		}, "CommunityLists[0].Entries[0].Communities[0]", "not a community"},
		{"community garbage", func(s *Spec) {
			s.CommunityLists[0].Entries[0].Communities = []string{"gold"}
		}, "CommunityLists[0].Entries[0].Communities[0]", "not a community"},
		{"community entry empty", func(s *Spec) { s.CommunityLists[0].Entries[0].Communities = nil }, "CommunityLists[0].Entries[0].Communities", "empty"},
		{"community list bad action", func(s *Spec) { s.CommunityLists[0].Entries[0].Action = "" }, "CommunityLists[0].Entries[0].Action", "permit or deny"},
		{"duplicate community list", func(s *Spec) {
			s.CommunityLists = append(s.CommunityLists, s.CommunityLists[0])
		}, "CommunityLists[1].Name", "duplicate"},

		{"route-map empty", func(s *Spec) { s.RouteMaps[0].Entries = nil }, "RouteMaps[0].Entries", "empty"},
		{"route-map seq range", func(s *Spec) { s.RouteMaps[0].Entries[0].Seq = 70000 }, "RouteMaps[0].Entries[0].Seq", "out of range"},
		{"route-map duplicate seq", func(s *Spec) {
			s.RouteMaps[0].Entries = append(s.RouteMaps[0].Entries, RouteMapEntry{Seq: 10, Action: Deny})
		}, "RouteMaps[0].Entries[1].Seq", "duplicates"},
		{"route-map bad action", func(s *Spec) { s.RouteMaps[0].Entries[0].Action = "accept" }, "RouteMaps[0].Entries[0].Action", "permit or deny"},
		{"route-map unknown prefix list", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Match.PrefixList = "x"
		}, "RouteMaps[0].Entries[0].Match.PrefixList", "no prefix list"},
		{"route-map unknown community list", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Match.CommunityList = "x"
		}, "RouteMaps[0].Entries[0].Match.CommunityList", "no community list"},
		{"route-map bad set community", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.Communities = []string{"1:2:3"}
		}, "RouteMaps[0].Entries[0].Set.Communities[0]", "not a community"},
		{"route-map additive without communities", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.CommunitiesAdditive = true
		}, "RouteMaps[0].Entries[0].Set.CommunitiesAdditive", "without Communities"},
		{"route-map bad large community", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.LargeCommunities = []string{"64512:1"}
		}, "RouteMaps[0].Entries[0].Set.LargeCommunities[0]", "not a large community"},
		{"route-map large community out of range", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.LargeCommunities = []string{"4294967296:1:1"}
		}, "RouteMaps[0].Entries[0].Set.LargeCommunities[0]", "not a large community"},
		{"route-map additive without large communities", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.LargeCommunitiesAdditive = true
		}, "RouteMaps[0].Entries[0].Set.LargeCommunitiesAdditive", "without LargeCommunities"},
		{"route-map prepend reserved", func(s *Spec) {
			s.RouteMaps[0].Entries[0].Set.ASPathPrepend = []uint32{0}
		}, "RouteMaps[0].Entries[0].Set.ASPathPrepend[0]", "reserved"},
		{"route-map bad name", func(s *Spec) { s.RouteMaps[0].Name = "-x" }, "RouteMaps[0].Name", "must be 1-63"},
		{"duplicate route-map", func(s *Spec) { s.RouteMaps = append(s.RouteMaps, s.RouteMaps[0]) }, "RouteMaps[1].Name", "duplicate"},

		{"relative log file", func(s *Spec) { s.Log.File = "frr.log" }, "Log.File", "absolute path"},
		{"log file with space", func(s *Spec) { s.Log.File = "/var/log/my frr.log" }, "Log.File", "absolute path"},
		{"unknown debug area", func(s *Spec) { s.Log.Debug = []DebugArea{"ospf"} }, "Log.Debug[0]", "unknown debug area"},
		{"duplicate debug area", func(s *Spec) { s.Log.Debug = []DebugArea{DebugBGP, DebugBGP} }, "Log.Debug[1]", "duplicate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validBase()
			tc.mutate(&s)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate accepted the spec")
			}
			if !hasFieldError(err, tc.field, tc.reason) {
				t.Fatalf("want a FieldError on %s containing %q, got:\n%v", tc.field, tc.reason, err)
			}
			if _, rerr := s.Render(); rerr == nil {
				t.Fatal("Render accepted an invalid spec")
			}
		})
	}
}

func TestValidateReportsEveryError(t *testing.T) {
	s := validBase()
	s.Hostname = ""
	s.Neighbors[0].RemoteASN = 23456
	s.BFDProfiles[0].DetectMultiplier = 1
	err := s.Validate()
	for _, f := range []string{"Hostname", "Neighbors[0].RemoteASN", "BFDProfiles[0].DetectMultiplier"} {
		if !hasFieldError(err, f, "") {
			t.Errorf("missing error for %s in:\n%v", f, err)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatal("errors.As found no *FieldError")
	}
}

// hasFieldError looks through a joined error for a FieldError on field
// whose reason contains reason.
func hasFieldError(err error, field, reason string) bool {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Field == field && strings.Contains(fe.Reason, reason) {
			return true
		}
	}
	return false
}
