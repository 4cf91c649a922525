package routers

import (
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseWatch reads a real watch of a link flap (see testdata/README.md)
// and checks the order of what edge saw of worker (172.30.0.128).
func TestParseWatch(t *testing.T) {
	f, err := os.Open("testdata/frr-10.7/watch-link-flap.txt")
	require.NoError(t, err)
	defer f.Close()
	res, err := parseWatch(f, netip.MustParsePrefix("10.250.0.0/32"))
	require.NoError(t, err)
	require.Len(t, res.Kernel, 8)
	require.Len(t, res.FRR, 14)

	worker := netip.MustParseAddr("172.30.0.128")
	other := netip.MustParseAddr("172.30.0.129")
	require.Equal(t, []netip.Addr{worker, other}, res.Kernel[0].Gateways)

	// The kernel: both next hops, worker's gone, then back.
	var kernelSeq [][]netip.Addr
	for _, s := range res.Kernel {
		if len(kernelSeq) == 0 || !slices.Equal(kernelSeq[len(kernelSeq)-1], s.Gateways) {
			kernelSeq = append(kernelSeq, s.Gateways)
		}
	}
	require.Equal(t, [][]netip.Addr{{worker, other}, {other}, {worker, other}}, kernelSeq)

	// FRR: BFD with worker up, down, init, up; the RIB loses worker after
	// BFD goes down and gets it back after BFD is up again.
	var bfdSeq []string
	var bfdDown, ribGone int
	for i, s := range res.FRR {
		st := ""
		for _, p := range s.BFD {
			if p.Peer == worker {
				st = p.Status
			}
		}
		if len(bfdSeq) == 0 || bfdSeq[len(bfdSeq)-1] != st {
			bfdSeq = append(bfdSeq, st)
			if st == "down" && bfdDown == 0 {
				bfdDown = i
			}
		}
		if ribGone == 0 && len(s.Gateways) == 1 {
			ribGone = i
		}
	}
	require.Equal(t, []string{"up", "down", "init", "up"}, bfdSeq)
	require.Positive(t, bfdDown)
	require.Greater(t, ribGone, bfdDown, "the RIB drops worker after BFD declared it down")
	for i := 1; i < len(res.Kernel); i++ {
		require.False(t, res.Kernel[i].At.Before(res.Kernel[i-1].At), "kernel samples in time order")
	}
}
