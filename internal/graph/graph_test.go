package graph

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/topologies"
)

func TestBuildMultiHop(t *testing.T) {
	g := Build(topologies.MultiHop(), nil)
	kinds := map[Kind]int{}
	for _, v := range g.Vertices {
		kinds[v.Kind]++
	}
	assert.Equal(t, map[Kind]int{Network: 3, Router: 2, Node: 3, Client: 1}, kinds)
	var sessions []string
	for _, e := range g.Edges {
		if e.Session {
			sessions = append(sessions, e.From+"-"+e.To+" "+e.Label)
		}
	}
	// Every node opens a multihop session with edge; edge and transit
	// peer once (iBGP, add-path from edge).
	assert.ElementsMatch(t, []string{
		"router_edge-node_control_plane eBGP, multihop, BFD",
		"router_edge-node_worker eBGP, multihop, BFD",
		"router_edge-node_worker2 eBGP, multihop, BFD",
		"router_transit-router_edge iBGP, add-path from edge",
	}, sessions)
}

func TestStates(t *testing.T) {
	states := map[SessionKey]string{
		{"edge", "worker"}:  "IPv4 Established",
		{"edge", "worker2"}: "IPv4 Active",
	}
	g := Build(topologies.SingleHop(), states)
	got := map[string]bool{}
	for _, e := range g.Edges {
		if e.Session {
			got[e.To+" "+e.State] = e.Up
		}
	}
	assert.Equal(t, map[string]bool{"node_worker IPv4 Established": true, "node_worker2 IPv4 Active": false, "node_control_plane no session": false}, got)
	m := g.Mermaid()
	assert.Contains(t, m, `router_edge -.-|"eBGP, BFD: IPv4 Established"| node_worker`)
	assert.Contains(t, m, "linkStyle")
	d := g.DOT()
	assert.Contains(t, d, `router_edge -- node_worker2 [label="eBGP, BFD\nIPv4 Active", style=dashed, color="#dd2222"];`)
}

// Graphviz accepts the DOT of every builtin (when dot is installed:
// scripts/host-setup.sh installs graphviz).
func TestDOTAccepted(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz's dot is not installed (scripts/host-setup.sh installs it)")
	}
	for _, n := range topologies.Names() {
		tp, err := topologies.Builtin(n)
		require.NoError(t, err)
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(Build(tp, nil).DOT())
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: dot refused: %s", n, out)
		assert.Contains(t, string(out), "<svg", n)
	}
}

// Mermaid's own parser accepts the flowchart of every builtin, with and
// without session states (when tools/mermaid-check is installed: npm ci
// there; scripts/test.sh does it where npm is present).
func TestMermaidAccepted(t *testing.T) {
	node, err := exec.LookPath("node")
	checker := filepath.Join("..", "..", "tools", "mermaid-check")
	if _, serr := os.Stat(filepath.Join(checker, "node_modules", "mermaid")); err != nil || serr != nil {
		t.Skip("Mermaid's parser is not installed (cd tools/mermaid-check && npm ci)")
	}
	for _, n := range topologies.Names() {
		tp, err := topologies.Builtin(n)
		require.NoError(t, err)
		for _, states := range []map[SessionKey]string{nil, {{"edge", "worker"}: "IPv4 Established, IPv6 Active"}} {
			cmd := exec.Command(node, filepath.Join(checker, "check.mjs"))
			cmd.Stdin = strings.NewReader(Build(tp, states).Mermaid())
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s: %s", n, out)
			assert.Contains(t, string(out), "ok flowchart", n)
		}
	}
	// The checker can fail: a broken diagram is refused.
	cmd := exec.Command(node, filepath.Join(checker, "check.mjs"))
	cmd.Stdin = strings.NewReader("flowchart LR\n  a --- |x|\n")
	_, err = cmd.CombinedOutput()
	assert.Error(t, err, "the checker accepted a broken diagram")
}
