package e2e

import (
	"testing"

	"github.com/peerlab/peerlab/topologies"
)

// TestMultiHop: the BGP router sits on its own network behind a transit
// router; MetalLB peers with it multihop, and the transit router (which gets
// every node's path by add-path) does the ECMP.
func TestMultiHop(t *testing.T) {
	ctx := testContext(t)
	lab := upLab(t, ctx, inFamily(t, topologies.MultiHop()))
	coreChecks(t, ctx, lab)
	assertNoEgress(t, ctx, lab)
}
