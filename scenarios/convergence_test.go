package scenarios

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
)

// TestConvergenceFill: the first change after the fault and the first
// return after the undo, read from samples; a flicker before the fault or
// a next hop "back" before the undo must not count.
func TestConvergenceFill(t *testing.T) {
	a, b := netip.MustParseAddr("172.30.0.128"), netip.MustParseAddr("172.30.0.129")
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	both, onlyB := []netip.Addr{a, b}, []netip.Addr{b}
	res := &routers.WatchResult{
		Kernel: []routers.KernelSample{
			{At: at(-20), Gateways: onlyB}, // before the fault: not counted
			{At: at(-10), Gateways: both},
			{At: at(10), Gateways: both},
			{At: at(800), Gateways: onlyB},
			{At: at(810), Gateways: onlyB},
			{At: at(3000), Gateways: onlyB}, // undo at 2500
			{At: at(3600), Gateways: both},
		},
		FRR: []routers.FRRSample{
			{At: at(0), Gateways: both, BFD: []routers.BFDPeer{{Peer: a, Status: "up"}}},
			{At: at(700), Gateways: both, BFD: []routers.BFDPeer{{Peer: a, Status: "down"}}},
			{At: at(790), Gateways: onlyB, BFD: []routers.BFDPeer{{Peer: a, Status: "down"}}},
			{At: at(1500)}, // vtysh failed: ignored
			{At: at(2900), Gateways: onlyB, BFD: []routers.BFDPeer{{Peer: a, Status: "up"}}},
			{At: at(3550), Gateways: both, BFD: []routers.BFDPeer{{Peer: a, Status: "up"}}},
		},
	}
	var c Convergence
	c.fill(res, a, t0, at(2500))
	require.Equal(t, 800.0, *c.KernelWithdrawnMs)
	require.Equal(t, 700.0, *c.BFDDownMs)
	require.Equal(t, 790.0, *c.RIBWithdrawnMs)
	require.Equal(t, 400.0, *c.BFDUpMs)
	require.Equal(t, 1050.0, *c.RIBBackMs)
	require.Equal(t, 1100.0, *c.KernelBackMs)
	require.Equal(t, 600.0, c.KernelSampleMs, "median of the gaps 10, 20, 790, 10, 2190, 600 ms")

	// Never withdrawn: nothing reported as gone or back.
	var never Convergence
	never.fill(&routers.WatchResult{Kernel: []routers.KernelSample{{At: at(10), Gateways: both}, {At: at(3000), Gateways: both}}}, a, t0, at(2500))
	require.Nil(t, never.KernelWithdrawnMs)
	require.Nil(t, never.KernelBackMs)

	// Back while the fault is still in place: negative, from the undo.
	var early Convergence
	early.fill(&routers.WatchResult{Kernel: []routers.KernelSample{{At: at(10), Gateways: both}, {At: at(900), Gateways: onlyB}, {At: at(1900), Gateways: both}}}, a, t0, at(2500))
	require.Equal(t, 900.0, *early.KernelWithdrawnMs)
	require.Equal(t, -600.0, *early.KernelBackMs)
}

// TestConvergenceTraffic: only requests sent between the fault and green
// count; failures sent after the kernel withdrew the next hop are counted
// apart.
func TestConvergenceTraffic(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	withdrawn := 800.0
	c := Convergence{KernelWithdrawnMs: &withdrawn}
	c.traffic([]harness.ProbeRecord{
		{Sent: at(-50), Error: "before the fault"},
		{Sent: at(100), OK: true, Node: "worker"},
		{Sent: at(300), Error: "context deadline exceeded"},
		{Sent: at(700), Error: "context deadline exceeded"},
		{Sent: at(900), Error: "connection refused"},
		{Sent: at(1000), OK: true, Node: "worker2"},
		{Sent: at(5000), Error: "after green"},
	}, t0, at(4000))
	require.Equal(t, 5, c.Requests)
	require.Equal(t, 3, c.Failed)
	require.Equal(t, 300.0, *c.FirstFailMs)
	require.Equal(t, 900.0, *c.LastFailMs)
	require.Equal(t, 1, c.FailedAfterWithdrawal)
	require.Equal(t, map[string]int{"worker": 1, "worker2": 1}, c.AnsweredBy)
	require.Equal(t, []string{"context deadline exceeded", "connection refused"}, c.ProbeErrors)
}
