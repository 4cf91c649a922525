package routers

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The diagnoses below read real FRR 10.7 output captured from a single-hop
// lab (see testdata/README.md): edge given the wrong AS for the nodes, then
// a password the nodes do not have, then a neighbor where nothing answers.

func neighborOf(t *testing.T, file string, addr string) BGPNeighbor {
	t.Helper()
	ns, err := parseNeighbors(readTestdata(t, "diagnose-10.7", file))
	require.NoError(t, err)
	for _, n := range ns {
		if n.Address == netip.MustParseAddr(addr) {
			return n
		}
	}
	t.Fatalf("%s: no neighbor %s", file, addr)
	return BGPNeighbor{}
}

func TestDiagnoseBadPeerAS(t *testing.T) {
	// The speaker received the NOTIFICATION: it names the cause and its
	// own configured ASNs.
	n := neighborOf(t, "speaker-bgp-neighbors-bad-peer-as.json", "172.30.0.2")
	d := diagnose(n, Reachability{Route: "172.30.0.2 dev eth0 src 172.30.0.128", Neighbor: "REACHABLE"})
	require.Equal(t, CauseBadPeerAS, d.Cause)
	require.Contains(t, d.Explain, "remote-as 64513 and local AS 64512")
	require.Contains(t, d.Explain, "OPEN Message Error/Bad Peer AS")

	// The router that refuses the OPENs shows only Active in its JSON; its
	// log has the refusals.
	r := neighborOf(t, "bgp-neighbors-bad-peer-as.json", "172.30.0.129")
	d = diagnose(r, Reachability{Route: "172.30.0.129 dev eth1 src 172.30.0.2", Neighbor: "REACHABLE"})
	require.Equal(t, CauseNotConnected, d.Cause)
	log := readTestdata(t, "diagnose-10.7", "frr-log-bad-peer-as.txt")
	refused := parseRefusedOpens(log, time.Date(2026, 12, 1, 3, 38, 20, 0, time.UTC))
	require.Positive(t, refused[netip.MustParseAddr("172.30.0.129")])
	require.Empty(t, parseRefusedOpens(log, time.Date(2026, 12, 1, 3, 40, 0, 0, time.UTC)), "old refusals do not count")
	d = openRefusedDiagnosis(d, refused[r.Address], []BGPNeighbor{r})
	require.Equal(t, CauseOpenRefused, d.Cause)
	require.Contains(t, d.Explain, "remote-as 64999 and local AS 64513")
}

func TestDiagnoseMD5(t *testing.T) {
	before, err := parseMD5Counters(readTestdata(t, "diagnose-10.7", "proc-net-netstat-md5-before.txt"))
	require.NoError(t, err)
	after, err := parseMD5Counters(readTestdata(t, "diagnose-10.7", "proc-net-netstat-md5-after.txt"))
	require.NoError(t, err)
	require.Zero(t, before.Total())
	require.Equal(t, uint64(8), after.NotFound, "the nodes send no signature; edge expects one")

	n := neighborOf(t, "bgp-neighbors-md5-mismatch.json", "172.30.0.128")
	require.True(t, n.PasswordConfigured)
	d := diagnose(n, Reachability{Route: "172.30.0.128 dev eth1 src 172.30.0.2", Neighbor: "REACHABLE"})
	require.Equal(t, CauseNotConnected, d.Cause, "FRR's fields alone cannot tell")
	d = md5Diagnosis(d, before, after, []BGPNeighbor{n})
	require.Equal(t, CauseMD5, d.Cause)
	require.Contains(t, d.Explain, "missing 8")
	require.Contains(t, d.Explain, "a password is configured here")
}

func TestDiagnoseNoAnswerAndNoRoute(t *testing.T) {
	n := neighborOf(t, "bgp-neighbors-no-answer.json", "172.30.0.99")
	d := diagnose(n, Reachability{Route: "172.30.0.99 dev eth1 src 172.30.0.2 uid 0", Neighbor: "FAILED"})
	require.Equal(t, CauseNoAnswer, d.Cause)
	require.Contains(t, d.Explain, "does not answer ARP/ND (FAILED)")

	d = diagnose(n, Reachability{NoRoute: "RTNETLINK answers: Network is unreachable"})
	require.Equal(t, CauseNoRoute, d.Cause)
	require.Contains(t, d.Explain, "Network is unreachable")
}
