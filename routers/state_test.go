package routers

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// parserTestdataDirs are the FRR versions whose captured output the parsers
// are tested on (see testdata/README.md).
var parserTestdataDirs = []string{"frr-10.3"}

func readTestdata(t *testing.T, dir, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseNeighbors(t *testing.T) {
	dir := "frr-10.3"
	cases := []struct {
		file string
		want []BGPNeighbor
	}{
		{"bgp-neighbors-ecmp.json", []BGPNeighbor{
			{
				Address: addr("172.28.99.3"), Hostname: "a", RemoteASN: 65011, LocalASN: 65010, State: BGPEstablished,
				Uptime: 2 * time.Second, LastReset: "No AFI/SAFI activated for peer", LastResetAgo: 7 * time.Second,
				ConnectionsEstablished: 1, LocalAddress: addr("172.28.99.2"), LocalPort: 179, RemotePort: 55438,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {Accepted: 1, Sent: 2}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Up"},
			},
			{
				Address: addr("172.28.99.4"), Hostname: "b", RemoteASN: 65012, LocalASN: 65010, State: BGPEstablished,
				Uptime: 2 * time.Second, LastReset: "No AFI/SAFI activated for peer", LastResetAgo: 7 * time.Second,
				ConnectionsEstablished: 1, LocalAddress: addr("172.28.99.2"), LocalPort: 179, RemotePort: 56882,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {Accepted: 1, Sent: 2}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Up"},
			},
		}},
		{"bgp-neighbors-one-down.json", []BGPNeighbor{
			{
				Address: addr("172.28.99.3"), Hostname: "a", RemoteASN: 65011, LocalASN: 65010, State: BGPIdle,
				LastReset: "BGP Notification send", LastNotification: "Cease/BFD Down",
				ConnectionsEstablished: 1, ConnectionsDropped: 1, LocalAddress: addr("172.28.99.2"), LocalPort: 179, RemotePort: 55438,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Down"},
			},
			{
				Address: addr("172.28.99.4"), Hostname: "b", RemoteASN: 65012, LocalASN: 65010, State: BGPEstablished,
				Uptime: 4 * time.Second, LastReset: "No AFI/SAFI activated for peer", LastResetAgo: 9 * time.Second,
				ConnectionsEstablished: 1, LocalAddress: addr("172.28.99.2"), LocalPort: 179, RemotePort: 56882,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {Accepted: 1, Sent: 2}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Up"},
			},
		}},
		{"bgp-neighbors-dualstack.json", []BGPNeighbor{
			{
				Address: addr("172.28.213.3"), Hostname: "r2", RemoteASN: 65002, LocalASN: 65001, State: BGPEstablished,
				Uptime: time.Second, LastReset: "No AFI/SAFI activated for peer", LastResetAgo: 6 * time.Second,
				ConnectionsEstablished: 1, LocalAddress: addr("172.28.213.2"), LocalPort: 179, RemotePort: 51308,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {Accepted: 1, Sent: 2}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Up"},
			},
			{
				Address: addr("fd00:28:d5::3"), Hostname: "r2", RemoteASN: 65002, LocalASN: 65001, State: BGPEstablished,
				Uptime: time.Second, ConnectionsEstablished: 1, LocalAddress: addr("fd00:28:d5::2"), LocalPort: 41306, RemotePort: 179,
				Families: map[AddressFamily]FamilyCounters{IPv6Unicast: {Accepted: 1, Sent: 2}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Up"},
			},
		}},
		{"bgp-neighbors-dynamic.json", []BGPNeighbor{{
			Address: addr("172.28.76.2"), Hostname: "r1", RemoteASN: 65001, LocalASN: 65003, PeerGroup: "far",
			Dynamic: true, ListenRange: prefix("172.28.76.0/24"), State: BGPEstablished, Uptime: time.Second,
			ConnectionsEstablished: 1, LocalAddress: addr("172.28.33.3"), LocalPort: 179, RemotePort: 36859,
			Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {}},
		}}},
		{"bgp-neighbors-after-restart.json", []BGPNeighbor{{
			Address: addr("172.28.33.3"), Hostname: "r3", RemoteASN: 65003, LocalASN: 65001, State: BGPEstablished,
			LastReset: "Peer closed the session", LastResetAgo: 2 * time.Second,
			ConnectionsEstablished: 2, ConnectionsDropped: 1, LocalAddress: addr("172.28.76.2"), LocalPort: 41905, RemotePort: 179,
			Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {}},
		}}},
		{"bgp-neighbors-not-established.json", []BGPNeighbor{
			{
				// A member of a "remote-as external" peer group that never
				// connected: FRR prints remoteAs 0, hostname and local host
				// "Unknown" and ports -1, all read as unset.
				Address: addr("172.28.3.10"), LocalASN: 4200000001, PeerGroup: "nodes", State: BGPIdle,
				LastReset: "Address family activated", LastResetAgo: time.Second,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {}, IPv6Unicast: {}},
				BFD:      &NeighborBFD{DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond, Status: "Down"},
			},
			{
				Address: addr("172.28.3.20"), LocalASN: 4200000001, State: BGPIdle,
				LastReset: "Update source change", LastResetAgo: time.Second,
				Families: map[AddressFamily]FamilyCounters{IPv4Unicast: {}},
			},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseNeighbors(readTestdata(t, dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d neighbors, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				g0, w0 := got[i], tc.want[i]
				g0.BFD, w0.BFD = nil, nil
				if g, w := fmt.Sprintf("%+v", g0), fmt.Sprintf("%+v", w0); g != w {
					t.Errorf("neighbor %d\n got %s\nwant %s", i, g, w)
				}
				if g, w := fmt.Sprintf("%+v", got[i].BFD), fmt.Sprintf("%+v", tc.want[i].BFD); g != w {
					t.Errorf("neighbor %d BFD\n got %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

// TestParseAllCaptured parses every captured file of every FRR version with
// the parser its name calls for, so a new capture directory is checked as
// soon as it is listed in parserTestdataDirs.
func TestParseAllCaptured(t *testing.T) {
	parsers := map[string]func([]byte) (int, error){
		"bgp-neighbors-": func(b []byte) (int, error) { v, err := parseNeighbors(b); return len(v), err },
		"bfd-peers-":     func(b []byte) (int, error) { v, err := parseBFDPeers(b); return len(v), err },
		"rib-":           func(b []byte) (int, error) { v, err := parseRoutes(b); return len(v), err },
		"ip-":            func(b []byte) (int, error) { v, err := parseKernelRoutes(b); return len(v), err },
	}
	for _, dir := range parserTestdataDirs {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no captured files (%v)", dir, err)
		}
		for _, f := range files {
			name := filepath.Base(f)
			matched := false
			for p, parse := range parsers {
				if !strings.HasPrefix(name, p) {
					continue
				}
				matched = true
				n, err := parse(readTestdata(t, dir, name))
				if err != nil {
					t.Errorf("%s/%s: %v", dir, name, err)
				}
				if n == 0 && !strings.Contains(name, "absent") {
					t.Errorf("%s/%s: parsed to nothing", dir, name)
				}
			}
			if !matched {
				t.Errorf("%s/%s: no parser for this file name", dir, name)
			}
		}
	}
}

func TestNeighborCounters(t *testing.T) {
	ns, err := parseNeighbors(readTestdata(t, "frr-10.3", "bgp-neighbors-ecmp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ns[0].PrefixesReceived() != 1 || ns[0].PrefixesSent() != 2 {
		t.Errorf("received %d sent %d, want 1 and 2", ns[0].PrefixesReceived(), ns[0].PrefixesSent())
	}
}

func TestParseBFDPeers(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	single := func(peer, local, iface string, id, remoteID uint32) BFDPeer {
		return BFDPeer{
			Peer: addr(peer), Local: addr(local), Interface: iface, VRF: "default", Status: "up",
			Diagnostic: "ok", RemoteDiagnostic: "ok", ID: id, RemoteID: remoteID, Type: "dynamic",
			DetectMultiplier: 3, ReceiveInterval: ms(300), TransmitInterval: ms(300), EchoReceiveInterval: ms(50),
			RemoteDetectMultiplier: 3, RemoteReceiveInterval: ms(300), RemoteTransmitInterval: ms(300), RemoteEchoReceiveInterval: ms(50),
		}
	}
	down := single("172.28.99.3", "172.28.99.2", "eth1", 3044275219, 0)
	down.Status, down.Diagnostic = "down", "control detection time expired"
	upB := single("172.28.99.4", "172.28.99.2", "eth1", 77896093, 1992812244)
	upB.Uptime = 4 * time.Second
	multihop := single("172.28.217.3", "172.28.92.2", "", 1147529978, 1147529978)
	multihop.Multihop, multihop.MinimumTTL = true, 254

	cases := map[string][]BFDPeer{
		"bfd-peers-dualstack.json": {
			single("172.28.213.3", "172.28.213.2", "eth0", 3755795381, 1002441987),
			single("fd00:28:d5::3", "fd00:28:d5::2", "eth0", 1424733963, 3416185957),
		},
		"bfd-peers-one-down.json": {down, upB},
		"bfd-peers-multihop.json": {multihop},
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			got, err := parseBFDPeers(readTestdata(t, "frr-10.3", file))
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Errorf("\n got %s\nwant %s", g, w)
			}
		})
	}
	if d := single("1.1.1.1", "1.1.1.2", "", 1, 2).DetectionTime(); d != 900*time.Millisecond {
		t.Errorf("detection time %s, want 900ms", d)
	}
}

func TestParseRoutes(t *testing.T) {
	dir := "frr-10.3"
	t.Run("full IPv4 RIB", func(t *testing.T) {
		rs, err := parseRoutes(readTestdata(t, dir, "rib-ipv4.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s %s sel=%v inst=%v via=%s", r.Prefix, r.Protocol, r.Selected, r.Installed, addrList(r.Gateways())))
		}
		want := []string{
			"0.0.0.0/0 kernel sel=true inst=true via=[172.28.182.1]",
			"172.28.99.0/24 connected sel=true inst=true via=[]",
			"172.28.99.2/32 local sel=true inst=true via=[]",
			"172.28.182.0/24 connected sel=true inst=true via=[]",
			"172.28.182.2/32 local sel=true inst=true via=[]",
			"172.28.250.10/32 bgp sel=true inst=true via=[172.28.99.3 172.28.99.4]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
		connected := rs[1].NextHops[0]
		if !connected.DirectlyConnected || connected.Interface != "eth1" || connected.IP.IsValid() {
			t.Errorf("connected next hop %+v", connected)
		}
	})
	t.Run("ECMP route", func(t *testing.T) {
		rs, err := parseRoutes(readTestdata(t, dir, "rib-ipv4-ecmp.json"))
		if err != nil {
			t.Fatal(err)
		}
		want := NextHop{IP: addr("172.28.99.3"), Interface: "eth1", Active: true, FIB: true, Weight: 1}
		if len(rs) != 1 || rs[0].Distance != 20 || rs[0].Table != 254 || len(rs[0].NextHops) != 2 || rs[0].NextHops[0] != want {
			t.Errorf("got %+v", rs)
		}
	})
	t.Run("recursive next hop", func(t *testing.T) {
		rs, err := parseRoutes(readTestdata(t, dir, "rib-ipv4-recursive.json"))
		if err != nil {
			t.Fatal(err)
		}
		nhs := rs[0].NextHops
		if len(nhs) != 2 || !nhs[0].Recursive || nhs[0].FIB || !nhs[1].Resolver || !nhs[1].FIB {
			t.Fatalf("next hops %+v, want a recursive one resolved by a FIB one", nhs)
		}
		if g := rs[0].Gateways(); !slices.Equal(g, []netip.Addr{addr("172.28.76.2")}) {
			t.Errorf("gateways %v, want the unresolved BGP next hop only", g)
		}
	})
	t.Run("IPv6", func(t *testing.T) {
		rs, err := parseRoutes(readTestdata(t, dir, "rib-ipv6-host.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Prefix != prefix("fd00:28:fc::2/128") || !slices.Equal(rs[0].Gateways(), []netip.Addr{addr("fd00:28:d5::3")}) {
			t.Errorf("got %+v", rs)
		}
		all, err := parseRoutes(readTestdata(t, dir, "rib-ipv6.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 5 || all[0].Prefix != prefix("::/0") {
			t.Errorf("got %d routes, first %v", len(all), all[0].Prefix)
		}
	})
	t.Run("absent", func(t *testing.T) {
		rs, err := parseRoutes(readTestdata(t, dir, "rib-ipv4-absent.json"))
		if err != nil || len(rs) != 0 {
			t.Errorf("got %v, %v; want no route", rs, err)
		}
	})
}

func TestParseKernelRoutes(t *testing.T) {
	dir := "frr-10.3"
	rs, err := parseKernelRoutes(readTestdata(t, dir, "ip-route.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s %s dev=%s via=%s", r.Dst, r.Protocol, r.Dev, addrList(r.Gateways())))
	}
	want := []string{
		"0.0.0.0/0  dev=eth0 via=[172.28.182.1]",
		"172.28.99.0/24 kernel dev=eth1 via=[]",
		"172.28.182.0/24 kernel dev=eth0 via=[]",
		"172.28.250.10/32 bgp dev= via=[172.28.99.3 172.28.99.4]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if rs[1].PrefSrc != addr("172.28.99.2") || rs[1].Scope != "link" {
		t.Errorf("connected route %+v", rs[1])
	}
	if nh := rs[3].NextHops[1]; nh.Gateway != addr("172.28.99.4") || nh.Dev != "eth1" || nh.Weight != 1 {
		t.Errorf("multipath next hop %+v", nh)
	}

	v6, err := parseKernelRoutes(readTestdata(t, dir, "ip-6-route.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(v6) != 4 || v6[1].Dst != prefix("fd00:28:fc::2/128") || v6[1].Gateway != addr("fd00:28:d5::3") || v6[3].Dst != prefix("::/0") {
		t.Errorf("IPv6 kernel routes %+v", v6)
	}
	none, err := parseKernelRoutes(readTestdata(t, dir, "ip-route-absent.json"))
	if err != nil || len(none) != 0 {
		t.Errorf("got %v, %v; want no route", none, err)
	}
}

func TestParseErrors(t *testing.T) {
	for name, parse := range map[string]func([]byte) error{
		"neighbors": func(b []byte) error { _, err := parseNeighbors(b); return err },
		"bfd":       func(b []byte) error { _, err := parseBFDPeers(b); return err },
		"routes":    func(b []byte) error { _, err := parseRoutes(b); return err },
		"kernel":    func(b []byte) error { _, err := parseKernelRoutes(b); return err },
	} {
		// What vtysh prints when a daemon is down, instead of JSON.
		if err := parse([]byte("bgpd is not running\n")); err == nil || !strings.Contains(err.Error(), "bgpd is not running") {
			t.Errorf("%s: error %v should quote the unparsable output", name, err)
		}
	}
}

// fakeExecutor answers commands with captured files, so the checks can be
// tested on real FRR output without a router.
type fakeExecutor map[string]string

func (f fakeExecutor) Exec(_ context.Context, cmd []string) ([]byte, []byte, error) {
	key := strings.Join(cmd, " ")
	file, ok := f[key]
	if !ok {
		return nil, []byte("unknown command"), &ExitError{Cmd: cmd, Code: 127, Stderr: "unknown command"}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "frr-10.3", file))
	return b, nil, err
}

func TestChecksOnCapturedState(t *testing.T) {
	a, b := addr("172.28.99.3"), addr("172.28.99.4")
	vipNH := "vtysh -c show ip route 172.28.250.10/32 json"
	kernelVIP := "ip -4 -j route show exact 172.28.250.10/32"
	healthy := NewQuerier(fakeExecutor{
		"vtysh -c show bgp neighbors json": "bgp-neighbors-ecmp.json",
		"vtysh -c show bfd peers json":     "bfd-peers-dualstack.json",
		vipNH:                              "rib-ipv4-ecmp.json",
		kernelVIP:                          "ip-route-ecmp.json",
		"vtysh -c show ip route 172.28.254.254/32 json": "rib-ipv4-absent.json",
		"ip -4 -j route show exact 172.28.254.254/32":   "ip-route-absent.json",
	})
	degraded := NewQuerier(fakeExecutor{
		"vtysh -c show bgp neighbors json": "bgp-neighbors-one-down.json",
		"vtysh -c show bfd peers json":     "bfd-peers-one-down.json",
		vipNH:                              "rib-ipv4-ecmp-degraded.json",
	})
	ctx := t.Context()
	absent := prefix("172.28.254.254/32")

	if err := healthy.Verify(ctx,
		NeighborsEstablished(a, b), NeighborsEstablished(), NeighborPrefixes(a, IPv4Unicast, 1),
		RouteNextHops(vip, b, a), KernelRouteNextHops(vip, a, b), RouteAbsent(absent), KernelRouteAbsent(absent),
	); err != nil {
		t.Errorf("healthy edge: %v", err)
	}

	for _, tc := range []struct {
		name  string
		q     *Querier
		check Check
		want  []string // substrings of the error
	}{
		{"session down", degraded, NeighborsEstablished(a, b), []string{
			"neighbor 172.28.99.3: state Idle, want Established; last reset 0s ago: BGP Notification send; last notification: Cease/BFD Down; BFD Down",
		}},
		{"unknown neighbor", healthy, NeighborsEstablished(addr("172.28.99.9")), []string{
			"neighbor 172.28.99.9: not known to the router (neighbors: 172.28.99.3, 172.28.99.4)",
		}},
		{"too few prefixes", healthy, NeighborPrefixes(a, IPv4Unicast, 2), []string{
			"neighbor 172.28.99.3: 1 ipv4 unicast prefixes accepted, want at least 2",
		}},
		{"BFD down", degraded, BFDPeersUp(a, b), []string{
			"bfd peer 172.28.99.3: status down, want up; diagnostic: control detection time expired",
		}},
		{"BFD not down", healthy, BFDPeersDown(addr("172.28.213.3")), []string{
			"bfd peer 172.28.213.3: status up, want down",
		}},
		{"no BFD session", healthy, BFDPeersUp(a), []string{
			"bfd peer 172.28.99.3: no session (peers: 172.28.213.3 up, fd00:28:d5::3 up)",
		}},
		{"lost a next hop", degraded, RouteNextHops(vip, a, b), []string{
			"route 172.28.250.10/32 (RIB, bgp): next hops [172.28.99.4], want [172.28.99.3 172.28.99.4]",
		}},
		{"extra kernel next hop", healthy, KernelRouteNextHops(vip, b), []string{
			"route 172.28.250.10/32 (kernel): next hops [172.28.99.3 172.28.99.4], want [172.28.99.4]",
		}},
		{"route not gone", healthy, RouteAbsent(vip), []string{
			"route 172.28.250.10/32 (RIB): present via [172.28.99.3 172.28.99.4] (bgp), want absent",
		}},
		{"route missing", healthy, RouteNextHops(absent, a), []string{
			"route 172.28.254.254/32 (RIB): absent, want next hops [172.28.99.3]",
		}},
		{"kernel route missing", healthy, KernelRouteNextHops(absent, a), []string{
			"route 172.28.254.254/32 (kernel): absent, want next hops [172.28.99.3]",
		}},
		{"all failures reported", degraded, All(NeighborsEstablished(a), BFDPeersUp(a)), []string{
			"neighbor 172.28.99.3: state Idle", "bfd peer 172.28.99.3: status down",
		}},
		{"command fails", degraded, KernelRouteNextHops(vip, a), []string{"exit status 127"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.q.Verify(ctx, tc.check)
			if err == nil {
				t.Fatal("check passed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestAwaitReturnsLastError(t *testing.T) {
	q := NewQuerier(fakeExecutor{"vtysh -c show bfd peers json": "bfd-peers-one-down.json"})
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	err := q.Await(ctx, 20*time.Millisecond, BFDPeersUp(addr("172.28.99.3")))
	if err == nil || !strings.Contains(err.Error(), "status down, want up") || !strings.Contains(err.Error(), "still failing after") {
		t.Fatalf("got %v", err)
	}
	if err := q.Await(t.Context(), time.Millisecond, BFDPeersUp(addr("172.28.99.4"))); err != nil {
		t.Fatalf("a holding check: %v", err)
	}
}

func TestLogFileFrom(t *testing.T) {
	if got := logFileFrom("frr version 10.3\nlog file /etc/frr/frr.log informational\n"); got != "/etc/frr/frr.log" {
		t.Errorf("got %q", got)
	}
	if got := logFileFrom("hostname x\n"); got != DefaultLogFile {
		t.Errorf("got %q", got)
	}
}

func TestDumpWritesEveryFile(t *testing.T) {
	dir := t.TempDir()
	// Most commands fail in the fake; Dump must still write every file and
	// report the failures.
	err := Dump(t.Context(), fakeExecutor{"vtysh -c show bgp neighbors json": "bgp-neighbors-ecmp.json"}, dir)
	if err == nil {
		t.Error("Dump reported no error although commands failed")
	}
	for _, c := range dumpCommands {
		if _, err := os.Stat(filepath.Join(dir, c.file)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "bgp-neighbors.json"))
	if err != nil || !strings.Contains(string(b), "172.28.99.3") {
		t.Errorf("bgp-neighbors.json: %v %q", err, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "frr.log")); err != nil {
		t.Error(err)
	}
}
