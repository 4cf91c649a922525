package routers

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// laterCaptures are captured files of queries added after the FRR 10.3
// captures were made, mapped to the first directory that has them (no
// FRR 10.3 image was at hand to capture them there). TestParseAllCaptured
// leaves them out of its same-files-everywhere comparison;
// TestLaterCaptures checks that every later directory has them.
var laterCaptures = map[string]string{
	"bgp-routes-ipv4-ebgp.json":  "frr-10.7",
	"bgp-routes-ipv6-ebgp.json":  "frr-10.7",
	"bgp-routes-ipv4-ibgp.json":  "frr-10.7",
	"bgp-routes-ipv6-ibgp.json":  "frr-10.7",
	"bgp-route-ipv4-ecmp.json":   "frr-10.7",
	"bgp-route-ipv6-ibgp.json":   "frr-10.7",
	"bgp-route-ipv4-absent.json": "frr-10.7",
	"bgp-neighbors-timers.json":  "frr-10.7",
	"bfd-counters.json":          "frr-10.7",
	// From MetalLB speakers in a reference lab (FRR 10.7 in the speaker pods).
	"bgp-advertised-routes-ipv4.json":          "frr-10.7",
	"bgp-advertised-routes-absent.json":        "frr-10.7",
	"bgp-advertised-routes-absent-family.json": "frr-10.7",
}

// attrNet is the network of the TestBGPAttributes run captured in
// frr-10.7: r1 .2, r2 .3, r3 .4, IPv4 and IPv6.
var attrNet = dsNet("172.28.152.0/24", "fd00:28:98::/64")

// The prefixes of TestBGPAttributes: r1 tags the first two on the way out.
var (
	attrTagged4 = prefix("172.28.251.1/32")
	attrTagged6 = prefix("fd00:28:fb::1/128")
	attrAnycast = prefix("172.28.251.100/32")
	// r1's IPv6 link-local address in that run (from its MAC).
	attrR1LinkLocal = addr("fe80::42:acff:fe1c:9802")
	attrCommunities = []string{"64512:100", "64512:200", "no-export"}
	attrLarge       = []string{"65001:100:1"}
)

func TestLaterCaptures(t *testing.T) {
	for file, since := range laterCaptures {
		i := slices.Index(parserTestdataDirs, since)
		if i < 0 {
			t.Errorf("%s: first directory %s is not in parserTestdataDirs", file, since)
			continue
		}
		for _, dir := range parserTestdataDirs[i:] {
			if _, err := os.Stat(filepath.Join("testdata", dir, file)); err != nil {
				t.Errorf("%s/%s: %v", dir, file, err)
			}
		}
	}
}

// epoch is a path's lastUpdate in the captured run. FRR derives it from
// its monotonic clock, so the same path can read one second apart in two
// commands.
func epoch(s int64) time.Time { return time.Unix(s, 0) }

func TestParseBGPRoutes(t *testing.T) {
	const dir = "frr-10.7"
	r1, r2 := attrNet.ip4(2), attrNet.ip4(3)
	// fromR1 is the tagged path as a neighbor of r1 receives it.
	fromR1 := func(peerType string, nh netip.Addr, t int64) BGPPath {
		return BGPPath{
			Peer: nh, PeerHostname: "r1", PeerRouterID: r1, PeerType: peerType,
			NextHop: nh, NextHopAccessible: true, Valid: true, Best: true, SelectionReason: "First path received",
			Origin: "IGP", MED: 50, HasMED: true, Communities: attrCommunities, LargeCommunities: attrLarge, LastUpdate: epoch(t),
		}
	}
	// eBGP (r3): r1's AS in the path, no local preference.
	ebgp4 := fromR1("external", r1, 1796065569)
	ebgp4.ASPath, ebgp4.ASPathLength = "65001", 1
	ebgp6 := fromR1("external", attrNet.ip6(2), 1796065569)
	ebgp6.ASPath, ebgp6.ASPathLength, ebgp6.LinkLocalNextHop = "65001", 1, attrR1LinkLocal
	// iBGP (r2): an empty AS path (FRR prints "Local") and the local
	// preference r1's route-map set.
	ibgp4 := fromR1("internal", r1, 1796065569)
	ibgp4.LocalPref, ibgp4.HasLocalPref = 200, true
	ibgp6 := fromR1("internal", attrNet.ip6(2), 1796065569)
	ibgp6.LocalPref, ibgp6.HasLocalPref, ibgp6.LinkLocalNextHop = 200, true, attrR1LinkLocal

	cases := map[string][]BGPRoute{
		// r3: the anycast prefix from r2 and r1, equal but for their age,
		// so both are used (ECMP) and the older one is best. r2 did not
		// pass tagged4 on (no-export), so r3 has it from r1 only.
		"bgp-routes-ipv4-ebgp.json": {
			{Prefix: attrTagged4, Paths: []BGPPath{ebgp4}},
			{Prefix: attrAnycast, Paths: []BGPPath{
				{
					Peer: r2, PeerHostname: "r2", PeerRouterID: r2, PeerType: "external", NextHop: r2, NextHopAccessible: true,
					Valid: true, Best: true, Multipath: true, SelectionReason: "Older Path",
					ASPath: "65001", ASPathLength: 1, Origin: "IGP", HasMED: true, LastUpdate: epoch(1796065566),
				},
				{
					Peer: r1, PeerHostname: "r1", PeerRouterID: r1, PeerType: "external", NextHop: r1, NextHopAccessible: true,
					Valid: true, Multipath: true,
					ASPath: "65001", ASPathLength: 1, Origin: "IGP", HasMED: true, LastUpdate: epoch(1796065569),
				},
			}},
		},
		"bgp-routes-ipv6-ebgp.json": {{Prefix: attrTagged6, Paths: []BGPPath{ebgp6}}},
		// r2: its own anycast path (weight 32768, no peer, no local
		// preference) beats r1's iBGP one, which carries the default 100.
		"bgp-routes-ipv4-ibgp.json": {
			{Prefix: attrTagged4, Paths: []BGPPath{ibgp4}},
			{Prefix: attrAnycast, Paths: []BGPPath{
				{
					PeerRouterID: r2, Local: true, NextHop: addr("0.0.0.0"), NextHopAccessible: true,
					Valid: true, Best: true, SelectionReason: "Weight",
					Origin: "IGP", HasMED: true, Weight: 32768, LastUpdate: epoch(1796065564),
				},
				{
					Peer: r1, PeerHostname: "r1", PeerRouterID: r1, PeerType: "internal", NextHop: r1, NextHopAccessible: true,
					Valid: true, Origin: "IGP", LocalPref: 100, HasLocalPref: true, HasMED: true, LastUpdate: epoch(1796065569),
				},
			}},
		},
		"bgp-routes-ipv6-ibgp.json": {{Prefix: attrTagged6, Paths: []BGPPath{ibgp6}}},
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			got, err := parseBGPRoutes(readTestdata(t, dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d prefixes, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				if got[i].Prefix != want[i].Prefix || len(got[i].Paths) != len(want[i].Paths) {
					t.Errorf("route %d: %s with %d paths, want %s with %d", i, got[i].Prefix, len(got[i].Paths), want[i].Prefix, len(want[i].Paths))
					continue
				}
				for j := range want[i].Paths {
					if g, w := fmt.Sprintf("%+v", got[i].Paths[j]), fmt.Sprintf("%+v", want[i].Paths[j]); g != w {
						t.Errorf("%s path %d\n got %s\nwant %s", want[i].Prefix, j, g, w)
					}
				}
			}
		})
	}
}

func TestBGPRouteHelpers(t *testing.T) {
	rs, err := parseBGPRoutes(readTestdata(t, "frr-10.7", "bgp-routes-ipv4-ebgp.json"))
	if err != nil {
		t.Fatal(err)
	}
	tagged, anycast := rs[0], rs[1]
	if nhs := anycast.NextHops(); !slices.Equal(nhs, []netip.Addr{attrNet.ip4(2), attrNet.ip4(3)}) {
		t.Errorf("anycast next hops %v, want r1 and r2", nhs)
	}
	if best, ok := anycast.Best(); !ok || best.Peer != attrNet.ip4(3) {
		t.Errorf("anycast best path %+v, %v; want r2's", best, ok)
	}
	p := tagged.Paths[0]
	if !p.HasCommunity("no-export") || !p.HasCommunity("64512:200") || p.HasCommunity("noExport") || !p.HasLargeCommunity("65001:100:1") {
		t.Errorf("community lookups on %+v", p)
	}
	if (BGPRoute{}).NextHops() != nil {
		t.Error("a route without paths has next hops")
	}
	if _, ok := (BGPRoute{Paths: []BGPPath{{Valid: true}}}).Best(); ok {
		t.Error("a route without a best path has one")
	}
	// The router's own prefix is in use through "0.0.0.0".
	own, err := parseBGPRoutes(readTestdata(t, "frr-10.7", "bgp-routes-ipv4-ibgp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if nhs := own[1].NextHops(); !slices.Equal(nhs, []netip.Addr{addr("0.0.0.0")}) {
		t.Errorf("own anycast next hops %v", nhs)
	}
}

func TestParseBGPRoute(t *testing.T) {
	const dir = "frr-10.7"
	r, ok, err := parseBGPRoute(readTestdata(t, dir, "bgp-route-ipv4-ecmp.json"))
	if err != nil || !ok {
		t.Fatalf("ecmp: %v, %v", ok, err)
	}
	// The same paths as in the table, one second later for r2's (see epoch).
	if r.Prefix != attrAnycast || len(r.Paths) != 2 || !r.Paths[0].Best || !r.Paths[0].Multipath || !r.Paths[1].Multipath ||
		r.Paths[0].LastUpdate != epoch(1796065567) || !slices.Equal(r.NextHops(), []netip.Addr{attrNet.ip4(2), attrNet.ip4(3)}) {
		t.Errorf("ecmp: %+v", r)
	}
	r, ok, err = parseBGPRoute(readTestdata(t, dir, "bgp-route-ipv6-ibgp.json"))
	if err != nil || !ok {
		t.Fatalf("ipv6: %v, %v", ok, err)
	}
	if best, _ := r.Best(); r.Prefix != attrTagged6 || len(r.Paths) != 1 || best.NextHop != attrNet.ip6(2) ||
		best.LinkLocalNextHop != attrR1LinkLocal || best.LocalPref != 200 || !best.HasLocalPref ||
		!slices.Equal(best.Communities, attrCommunities) || !slices.Equal(best.LargeCommunities, attrLarge) {
		t.Errorf("ipv6: %+v", r)
	}
	// FRR answers "{}" for a prefix it has no path for.
	r, ok, err = parseBGPRoute(readTestdata(t, dir, "bgp-route-ipv4-absent.json"))
	if err != nil || ok || len(r.Paths) != 0 {
		t.Errorf("absent: %+v, %v, %v", r, ok, err)
	}
}

func TestBGPQueriesOnCapturedState(t *testing.T) {
	const dir = "frr-10.7"
	q := NewQuerier(fakeExecutor{dir, map[string]string{
		"vtysh -c show bgp ipv4 unicast json detail":            "bgp-routes-ipv4-ebgp.json",
		"vtysh -c show bgp ipv6 unicast json detail":            "bgp-routes-ipv6-ebgp.json",
		"vtysh -c show bgp ipv4 unicast 172.28.251.100/32 json": "bgp-route-ipv4-ecmp.json",
		"vtysh -c show bgp ipv4 unicast 172.28.254.254/32 json": "bgp-route-ipv4-absent.json",
		"vtysh -c show bgp ipv6 unicast fd00:28:fb::1/128 json": "bgp-route-ipv6-ibgp.json",
		"vtysh -c show bgp ipv4 unicast 172.28.251.1/32 json":   "bgp-route-ipv4-ecmp.json", // a wrong answer
		"vtysh -c show bfd peers counters json":                 "bfd-counters.json",
		"vtysh -c show bgp neighbors json":                      "bgp-neighbors-timers.json",
	}})
	ctx := t.Context()
	v4, err := q.BGPRoutes(ctx, IPv4)
	if err != nil || len(v4) != 2 {
		t.Errorf("BGPRoutes(IPv4): %+v, %v", v4, err)
	}
	v6, err := q.BGPRoutes(ctx, IPv6)
	if err != nil || len(v6) != 1 || v6[0].Prefix != attrTagged6 {
		t.Errorf("BGPRoutes(IPv6): %+v, %v", v6, err)
	}
	// A prefix is asked for masked.
	r, err := q.BGPRoute(ctx, netip.PrefixFrom(attrAnycast.Addr(), 32))
	if err != nil || len(r.Paths) != 2 {
		t.Errorf("BGPRoute(anycast): %+v, %v", r, err)
	}
	r, err = q.BGPRoute(ctx, attrTagged6)
	if err != nil || r.Prefix != attrTagged6 || len(r.Paths) != 1 {
		t.Errorf("BGPRoute(tagged6): %+v, %v", r, err)
	}
	r, err = q.BGPRoute(ctx, prefix("172.28.254.254/32"))
	if err != nil || r.Prefix != prefix("172.28.254.254/32") || r.Paths != nil {
		t.Errorf("BGPRoute(absent): %+v, %v", r, err)
	}
	if _, err := q.BGPRoute(ctx, attrTagged4); err == nil || !strings.Contains(err.Error(), "FRR answered for 172.28.251.100/32") {
		t.Errorf("BGPRoute with FRR answering another prefix: %v", err)
	}
	cs, err := q.BFDCounters(ctx)
	if err != nil || len(cs) != 4 {
		t.Errorf("BFDCounters: %+v, %v", cs, err)
	}
}

func TestParseBFDCounters(t *testing.T) {
	got, err := parseBFDCounters(readTestdata(t, "frr-10.7", "bfd-counters.json"))
	if err != nil {
		t.Fatal(err)
	}
	// r1's four single-hop sessions, up once each, a few seconds old.
	counter := func(peer, local netip.Addr, id uint32, in, out, zebra uint64) BFDCounter {
		return BFDCounter{
			Peer: peer, Local: local, Interface: "eth0", VRF: "default", ID: id, SessionUp: 1,
			ControlPacketsIn: in, ControlPacketsOut: out, ZebraNotifications: zebra,
		}
	}
	n := attrNet
	want := []BFDCounter{
		counter(n.ip4(3), n.ip4(2), 2028084833, 16, 16, 2),
		counter(n.ip4(4), n.ip4(2), 1428236149, 9, 11, 2),
		counter(n.ip6(3), n.ip6(2), 4263578984, 13, 14, 3),
		counter(n.ip6(4), n.ip6(2), 320366357, 15, 16, 2),
	}
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
		t.Errorf("\n got %s\nwant %s", g, w)
	}
}

func TestParseNeighborTimers(t *testing.T) {
	ns, err := parseNeighbors(readTestdata(t, "frr-10.7", "bgp-neighbors-timers.json"))
	if err != nil {
		t.Fatal(err)
	}
	// r3's sessions. r1 configures 3 s / 9 s and a password on its IPv4
	// session to r3; r3 configures the password and no timers, and runs
	// with the lower hold time r1 offered and a keepalive of a third of it.
	var got []string
	for _, n := range ns {
		got = append(got, fmt.Sprintf("%s %s %s hold=%s keepalive=%s configured=%s/%s password=%v",
			n.Address, n.Hostname, n.State, n.HoldTime, n.KeepaliveTime, n.ConfiguredHoldTime, n.ConfiguredKeepaliveTime, n.PasswordConfigured))
	}
	want := []string{
		attrNet.ip4(2).String() + " r1 Established hold=9s keepalive=3s configured=3m0s/1m0s password=true",
		attrNet.ip4(3).String() + " r2 Established hold=3m0s keepalive=1m0s configured=3m0s/1m0s password=false",
		attrNet.ip6(2).String() + " r1 Established hold=3m0s keepalive=1m0s configured=3m0s/1m0s password=false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestParseBGPErrors(t *testing.T) {
	for name, parse := range map[string]func([]byte) error{
		"bgp routes":   func(b []byte) error { _, err := parseBGPRoutes(b); return err },
		"bgp route":    func(b []byte) error { _, _, err := parseBGPRoute(b); return err },
		"bfd counters": func(b []byte) error { _, err := parseBFDCounters(b); return err },
	} {
		if err := parse([]byte("bgpd is not running\n")); err == nil || !strings.Contains(err.Error(), "bgpd is not running") {
			t.Errorf("%s: error %v should quote the unparsable output", name, err)
		}
	}
	if _, _, err := parseBGPRoute([]byte(`{"prefix":"nonsense","paths":[]}`)); err == nil {
		t.Error("a bad prefix parsed")
	}
}
