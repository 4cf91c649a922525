package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/topologies"
)

// writeBundle builds a bundle file the way Write lays it out.
func writeBundle(t *testing.T, m Manifest, topo topologies.Topology) string {
	dir := t.TempDir()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, manifestName), b, 0o644))
	y, err := topologies.Marshal(topo)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, topologyName), y, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, dumpDir, "routers"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, dumpDir, "routers", "x.txt"), []byte("x"), 0o644))
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	require.NoError(t, writeTarGz(out, dir))
	return out
}

func TestReadBack(t *testing.T) {
	topo, err := topologies.MultiHop().ForFamily(topologies.DualStack)
	require.NoError(t, err)
	m := Manifest{Format: Format, Lab: "abc123", Topology: topo.Name, Checks: []Result{{Name: "bfd-up", Passed: true}}}
	got, gotTopo, err := Read(writeBundle(t, m, topo))
	require.NoError(t, err)
	assert.Equal(t, "abc123", got.Lab)
	assert.Equal(t, m.Checks, got.Checks)
	assert.Equal(t, topo.Cluster.IPFamily, gotTopo.Cluster.IPFamily)
	assert.Equal(t, topo.MetalLB.Pools, gotTopo.MetalLB.Pools)

	m.Format = Format + 1
	_, _, err = Read(writeBundle(t, m, topo))
	assert.ErrorContains(t, err, "format")

	notBundle := filepath.Join(t.TempDir(), "x.tar.gz")
	require.NoError(t, os.WriteFile(notBundle, []byte("hello"), 0o644))
	_, _, err = Read(notBundle)
	assert.ErrorContains(t, err, "not a peerlab bundle")
}

func TestCheckCompatible(t *testing.T) {
	m := Manifest{Versions: Versions{Peerlab: "aaaaaaaaaaaa"}, Images: []Image{
		{Name: "node", Ref: "peerlab/node:v1", Hash: "h1"},
		{Name: "frr", Ref: "quay.io/frrouting/frr:10.7.0"},
	}}
	sts := []images.Status{{Name: "node", Tag: "peerlab/node:v1", Hash: "h1"}, {Name: "frr", Tag: "peerlab/frr:10.7", Hash: "h2"}}
	refs := images.Refs{"node": "peerlab/node:v1", "frr": "quay.io/frrouting/frr:10.7.0"}
	assert.NoError(t, m.CheckCompatible("aaaaaaaaaaaa", refs, sts))
	assert.NoError(t, m.CheckCompatible("devel", refs, sts), "an unstamped build is judged by its images")

	err := m.CheckCompatible("bbbbbbbbbbbb", refs, sts)
	assert.ErrorContains(t, err, "git checkout aaaaaaaaaaaa, and build peerlab there")

	sts[0].Hash = "h9"
	err = m.CheckCompatible("aaaaaaaaaaaa", refs, sts)
	assert.ErrorContains(t, err, "image node: built here from inputs h9, the bundle's from h1")

	sts[0].Hash = "h1"
	refs["frr"] = "peerlab/frr:10.7"
	err = m.CheckCompatible("aaaaaaaaaaaa", refs, sts)
	assert.ErrorContains(t, err, "image frr: the bundle ran quay.io/frrouting/frr:10.7.0")
}

func TestFRRVersion(t *testing.T) {
	assert.Equal(t, "10.7.0", frrVersion("FRRouting 10.7.0 (edge) on Linux(6.1.0).\nCopyright ...\n"))
}
