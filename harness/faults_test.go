package harness

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/topologies"
)

func TestDropScript(t *testing.T) {
	in := dropScript(Fault{Kind: FaultDropBFD, Direction: Inbound}, "eth1", true)
	// 2 families x 3 ports x 2 sides x (INPUT, FORWARD in)
	require.Equal(t, 24, strings.Count(in, " -j DROP"))
	require.Contains(t, in, "iptables -w 5 -I INPUT -i eth1 -p udp --dport 3784 -m comment --comment 'peerlab fault drop-bfd' -j DROP")
	require.Contains(t, in, "ip6tables -w 5 -I FORWARD -i eth1 -p udp --sport 4784")
	require.NotContains(t, in, "OUTPUT")

	out := dropScript(Fault{Kind: FaultDropBGP, Direction: Both}, "eth0", false)
	require.Equal(t, 16, strings.Count(out, " -j DROP"))
	require.Contains(t, out, "iptables -w 5 -D OUTPUT -o eth0 -p tcp --sport 179")
	require.True(t, strings.HasSuffix(out, "|| rc=1; exit $rc"), "a failed rule fails the script: %s", out)
}

func TestFaultString(t *testing.T) {
	require.Equal(t, "drop-bgp worker on nodes (in)", Fault{Kind: FaultDropBGP, Target: "worker", Network: "nodes", Direction: Inbound}.String())
	require.Equal(t, "pause edge", Fault{Kind: FaultPause, Target: "edge"}.String())
	require.True(t, FaultSpeaker.OneShot())
	require.False(t, FaultLink.OneShot())
}

// TestParseProbeRecords reads real probe output (see testdata/README.md).
func TestParseProbeRecords(t *testing.T) {
	f, err := os.Open("testdata/probe-records.jsonl")
	require.NoError(t, err)
	defer f.Close()
	recs, err := ParseProbeRecords(f)
	require.NoError(t, err)
	require.Len(t, recs, 7)
	require.True(t, recs[0].OK)
	require.Equal(t, "peerlab-b4031b-worker", recs[0].Node)
	require.Equal(t, 1357*time.Microsecond, recs[0].Latency)
	require.True(t, recs[1].Sent.After(recs[0].Sent))
	require.False(t, recs[5].OK)
	require.Contains(t, recs[5].Error, "network is unreachable")
	_, err = ParseProbeRecords(strings.NewReader("{not json\n"))
	require.ErrorContains(t, err, "probe record 1")
}

func TestPeerFaultScript(t *testing.T) {
	edge := topologies.SingleHop().Routers[0]
	on, err := peerFaultScript(edge, FaultWrongASN, true)
	require.NoError(t, err)
	require.Equal(t, "vtysh -c 'configure terminal' -c 'router bgp 64513' -c 'neighbor nodes remote-as 64999'", on)
	off, err := peerFaultScript(edge, FaultWrongASN, false)
	require.NoError(t, err)
	require.Contains(t, off, "'neighbor nodes remote-as 64512'")
	md5, err := peerFaultScript(edge, FaultMD5, false)
	require.NoError(t, err)
	require.Contains(t, md5, "'no neighbor nodes password'", "single-hop has no password to put back")
	client := topologies.Router{Name: "r", ASN: 64520}
	_, err = peerFaultScript(client, FaultMD5, true)
	require.ErrorContains(t, err, "router r has no session with the nodes")
}

// A link coming back up gets the node's routes back in the same exec, the
// return path to the clients before the default route (a reply must never
// find only the default route, which leads out of the lab).
func TestNodeRouteScript(t *testing.T) {
	for _, topo := range []topologies.Topology{topologies.SingleHop(), topologies.MultiHop()} {
		dual, err := topo.ForFamily(topologies.DualStack)
		require.NoError(t, err)
		script, err := nodeRouteScript(dual, "eth0")
		require.NoError(t, err)
		lines := strings.Split(script, "; ")
		def4 := slices.Index(lines, "ip route replace 0.0.0.0/0 via "+topologies.Gateway(mustNetwork(t, dual).IPv4).String()+" dev eth0 || true")
		require.NotEqual(t, -1, def4, "no IPv4 default route in %q", script)
		require.Contains(t, script, "ip -6 route replace ::/0 via ")
		require.NotEmpty(t, dual.Cluster.Routes, "%s has no static node routes", topo.Name)
		for _, r := range dual.Cluster.Routes {
			i := slices.IndexFunc(lines, func(l string) bool {
				return strings.Contains(l, " "+r.Prefix.String()+" via "+r.Via.String()+" dev eth0")
			})
			require.NotEqual(t, -1, i, "static route %s missing from %q", r.Prefix, script)
			require.Less(t, i, def4, "static route %s comes after the default route", r.Prefix)
		}
	}
}

func mustNetwork(t *testing.T, topo topologies.Topology) topologies.Network {
	n, ok := topo.Network(topo.Cluster.Network)
	require.True(t, ok)
	return n
}
