package routers

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the current output")

var (
	addr   = netip.MustParseAddr
	prefix = netip.MustParsePrefix
)

// goldenSpecs cover every construct Render knows; each has a golden
// frr.conf under testdata/golden.
func goldenSpecs() map[string]Spec {
	return map[string]Spec{
		// The smallest useful router: one eBGP neighbor.
		"minimal": {
			Hostname: "r1",
			ASN:      64512,
			Neighbors: []Neighbor{
				{Address: addr("172.28.1.3"), PeerSettings: PeerSettings{RemoteASN: 64513}},
			},
		},
		// The ECMP router of the integration test: two upstreams in
		// different ASes, BFD, multipath-relax, and a dual-stack session.
		"ecmp": {
			Hostname:       "edge",
			ASN:            65010,
			RouterID:       addr("10.255.0.1"),
			MaximumPaths:   8,
			MultipathRelax: true,
			BFDProfiles: []BFDProfile{{
				Name: "fast", DetectMultiplier: 3, ReceiveInterval: 300 * time.Millisecond, TransmitInterval: 300 * time.Millisecond,
			}},
			Neighbors: []Neighbor{
				{Address: addr("172.28.13.3"), PeerSettings: PeerSettings{RemoteASN: 65011, BFD: true, BFDProfile: "fast"}},
				{Address: addr("172.28.13.4"), PeerSettings: PeerSettings{RemoteASN: 65012, BFD: true, BFDProfile: "fast"}},
				{Address: addr("fd00:28:13::3"), PeerSettings: PeerSettings{
					RemoteASN: 65011, BFD: true, AddressFamilies: []AddressFamily{IPv6Unicast}, RouteMapIn: "prefer-global",
				}},
			},
			Originate: []netip.Prefix{prefix("172.28.14.0/24"), prefix("fd00:28:14::/64")},
			RouteMaps: []RouteMap{{Name: "prefer-global", Entries: []RouteMapEntry{{
				Action: Permit, Set: RouteMapSet{IPv6NextHopPreferGlobal: true},
			}}}},
		},
		// A router facing a whole cluster: listen range, peer group with
		// every session setting, policy objects, statics and debug logs.
		"cluster-facing": {
			Hostname:    "tor.lab",
			ASN:         4200000001,
			RouterID:    addr("172.28.2.1"),
			ListenLimit: 50,
			PeerGroups: []PeerGroup{{
				Name: "nodes",
				PeerSettings: PeerSettings{
					RemoteASKind: RemoteASExternal, Description: "kind nodes", Password: "s3cret",
					Keepalive: 3 * time.Second, Hold: 9 * time.Second, BFD: true, BFDProfile: "slow",
					AddressFamilies: []AddressFamily{IPv4Unicast, IPv6Unicast}, SoftReconfigurationInbound: true,
					RouteMapIn: "from-nodes", RouteMapOut: "to-nodes",
				},
			}},
			ListenRanges: []ListenRange{
				{Prefix: prefix("172.28.2.0/24"), PeerGroup: "nodes"},
				{Prefix: prefix("fd00:28:2::/64"), PeerGroup: "nodes"},
			},
			Neighbors: []Neighbor{
				// A member with its own connect timer and passive mode.
				{Address: addr("172.28.3.10"), PeerGroup: "nodes", PeerSettings: PeerSettings{ConnectRetry: 10 * time.Second, Passive: true}},
				// An iBGP neighbor between loopbacks.
				{Address: addr("172.28.3.20"), PeerSettings: PeerSettings{
					RemoteASKind: RemoteASInternal, UpdateSource: "lo", NextHopSelf: true,
				}},
			},
			BFDProfiles: []BFDProfile{{
				Name: "slow", DetectMultiplier: 5, ReceiveInterval: time.Second, TransmitInterval: time.Second,
				EchoMode: true, EchoInterval: 100 * time.Millisecond, Passive: true, MinimumTTL: 250,
			}},
			MaximumPaths: 16, MaximumPathsIBGP: 4,
			Redistribute: []RouteSource{RouteSourceConnected, RouteSourceStatic},
			Originate:    []netip.Prefix{prefix("10.96.0.0/16")},
			PrefixLists: []PrefixList{
				{Name: "services", Entries: []PrefixListEntry{
					{Action: Permit, Prefix: prefix("172.28.200.0/24"), GE: 32, LE: 32},
					{Seq: 100, Action: Deny, Prefix: prefix("0.0.0.0/0"), LE: 32},
				}},
				{Name: "services6", Entries: []PrefixListEntry{{Action: Permit, Prefix: prefix("fd00:28:200::/64"), LE: 128}}},
			},
			CommunityLists: []CommunityList{{Name: "gold", Entries: []CommunityListEntry{
				{Action: Permit, Communities: []string{"64512:100", "no-export"}},
			}}},
			RouteMaps: []RouteMap{
				{Name: "from-nodes", Entries: []RouteMapEntry{
					{Action: Permit, Match: RouteMapMatch{CommunityList: "gold"}, Set: RouteMapSet{LocalPreference: Uint32(200)}},
					{Action: Permit, Match: RouteMapMatch{PrefixList: "services"}, Set: RouteMapSet{Metric: Uint32(0)}},
					{Action: Permit, Match: RouteMapMatch{PrefixList: "services6"}},
					{Seq: 100, Action: Deny},
				}},
				{Name: "to-nodes", Entries: []RouteMapEntry{{
					Action: Permit,
					Set: RouteMapSet{
						Communities: []string{"64512:200"}, CommunitiesAdditive: true, ASPathPrepend: []uint32{4200000001, 4200000001},
						LargeCommunities: []string{"4200000001:200:1"}, LargeCommunitiesAdditive: true,
					},
				}}},
			},
			StaticRoutes: []StaticRoute{
				{Prefix: prefix("10.96.0.0/16"), Blackhole: true},
				{Prefix: prefix("172.28.100.0/24"), NextHop: addr("172.28.2.254"), Distance: 200},
				{Prefix: prefix("fd00:28:100::/64"), NextHop: addr("fe80::1"), Interface: "eth1"},
				{Prefix: prefix("172.28.101.0/24"), Interface: "eth0"},
			},
			Log: Logging{File: "/var/log/frr/bgp.log", Debug: []DebugArea{DebugBGP, DebugBFD, DebugZebra}},
		},
		// The ends of the multihop chain: peering through a middle router.
		"multihop": {
			Hostname: "r1",
			ASN:      65001,
			Neighbors: []Neighbor{{Address: addr("172.28.12.3"), PeerSettings: PeerSettings{
				RemoteASN: 65003, EBGPMultihop: 2, UpdateSource: "172.28.11.2", NextHopSelf: true, BFD: true,
			}}},
			StaticRoutes: []StaticRoute{{Prefix: prefix("172.28.12.0/24"), NextHop: addr("172.28.11.3")}},
			Originate:    []netip.Prefix{prefix("172.28.251.1/32")},
		},
		// A host or middle router without BGP.
		"no-bgp": {
			Hostname:     "client",
			StaticRoutes: []StaticRoute{{Prefix: prefix("172.28.250.10/32"), NextHop: addr("172.28.14.2")}},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	for name, spec := range goldenSpecs() {
		t.Run(name, func(t *testing.T) {
			conf, err := spec.Render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", name+".frr.conf"), conf.FRRConf)
			if conf.Daemons != daemonsText || conf.VtyshConf != vtyshConfText {
				t.Errorf("daemons or vtysh.conf differ from the fixed text")
			}
		})
	}
	conf, err := goldenSpecs()["minimal"].Render()
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "golden", "daemons"), conf.Daemons)
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./routers -run TestRenderGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendered output (rerun with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s",
			path, got, want)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	spec := goldenSpecs()["cluster-facing"]
	first, err := spec.Render()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := spec.Render()
		if err != nil {
			t.Fatal(err)
		}
		if again.FRRConf != first.FRRConf {
			t.Fatal("two renders of the same spec differ")
		}
	}
}

func TestRenderDefaults(t *testing.T) {
	conf, err := goldenSpecs()["minimal"].Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		" neighbor 172.28.1.3 timers connect 1\n", // the 120 s connect-retry trap
		" no bgp ebgp-requires-policy\n",
		" no bgp default ipv4-unicast\n",
		"  neighbor 172.28.1.3 activate\n",
		"log file " + DefaultLogFile + " informational\n",
	} {
		if !strings.Contains(conf.FRRConf, want) {
			t.Errorf("rendered config lacks %q:\n%s", want, conf.FRRConf)
		}
	}
}

func TestRenderRejectsInvalid(t *testing.T) {
	if _, err := (Spec{}).Render(); err == nil {
		t.Fatal("Render of an empty spec succeeded")
	}
}
