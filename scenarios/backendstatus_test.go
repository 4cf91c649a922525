package scenarios

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func TestRunningNeighbors(t *testing.T) {
	got := RunningNeighbors(readTestdata(t, "frrnodestate-worker.txt"))
	assert.Equal(t, map[netip.Addr]RunningNeighbor{
		netip.MustParseAddr("172.29.0.3"): {ASN: 64514, BFDProfile: "fast"},
		netip.MustParseAddr("172.29.0.4"): {ASN: 64512, BFDProfile: "fast"},
		netip.MustParseAddr("172.30.0.2"): {ASN: 64513, BFDProfile: "fast"},
		netip.MustParseAddr("172.30.0.3"): {ASN: 64512, BFDProfile: "fast"},
	}, got)
	assert.Empty(t, RunningNeighbors(readTestdata(t, "frrnodestate-control-plane.txt")))
}

// The FRRNodeState check against the reference plan, with the real running
// configurations captured from a reference lab.
func TestNodeStateProblems(t *testing.T) {
	topo := topologies.Reference()
	p, err := topo.Prepare()
	require.NoError(t, err)
	plan := harness.NewPlan(p, testNodes())
	worker := readTestdata(t, "frrnodestate-worker.txt")
	states := func(edit func(s []harness.NodeState)) []harness.NodeState {
		s := []harness.NodeState{
			{Node: "peerlab-a1b2c3-control-plane", Conversion: "success", Reload: "success", RunningConfig: readTestdata(t, "frrnodestate-control-plane.txt")},
			{Node: "peerlab-a1b2c3-worker", Conversion: "success", Reload: "success", RunningConfig: worker},
			{Node: "peerlab-a1b2c3-worker2", Conversion: "success", Reload: "success", RunningConfig: worker},
		}
		if edit != nil {
			edit(s)
		}
		return s
	}
	assert.Empty(t, nodeStateProblems(plan, states(nil)), "the captured state is the reference plan's")

	msgs := func(errs []error) string {
		var b strings.Builder
		for _, e := range errs {
			b.WriteString(e.Error() + "\n")
		}
		return b.String()
	}
	got := msgs(nodeStateProblems(plan, states(func(s []harness.NodeState) {
		s[1].Reload = "failed: exit status 1"
		s[2].RunningConfig = strings.ReplaceAll(strings.ReplaceAll(worker, "neighbor 172.30.0.2 ", "neighbor 172.30.0.9 "), "neighbor 172.29.0.3 bfd profile fast\n", "")
	})))
	assert.Contains(t, got, `node worker: FRRNodeState says conversion "success", reload "failed: exit status 1"`)
	assert.Contains(t, got, "node worker2, peer 172.30.0.2 (ebgp): not a neighbor in FRRNodeState's running configuration")
	assert.Contains(t, got, "node worker2: FRRNodeState's running configuration has neighbor 172.30.0.9, which the plan does not have")
	assert.Contains(t, got, `node worker2, peer 172.29.0.3 (ebgp-mh): FRRNodeState's running configuration has remote-as 64514, BFD profile ""; want 64514, "fast"`)

	got = msgs(nodeStateProblems(plan, states(func(s []harness.NodeState) { s[2].Node = "elsewhere" })))
	assert.Contains(t, got, "node worker2: no FRRNodeState")
	// A node that should have no peers must run none.
	got = msgs(nodeStateProblems(plan, states(func(s []harness.NodeState) { s[0].RunningConfig = worker })))
	assert.Contains(t, got, "node control-plane: FRRNodeState's running configuration has neighbor 172.30.0.3, which the plan does not have")
}
