package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
