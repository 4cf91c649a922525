package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/topologies"
)

// TestMetalLBSource: a MetalLB developer's tree gates their change. A copy
// of MetalLB's source (the pinned module, standing in for a checkout) is
// built by the kit into controller, speaker and manifests images, a
// single-hop lab runs them (loaded into the nodes, not the node image's),
// and the core checks pass. A directory that is not a MetalLB tree is
// refused before any lab exists.
func TestMetalLBSource(t *testing.T) {
	ctx := testContext(t)
	kit, err := newKit()
	require.NoError(t, err)
	_, err = kit.MetalLBSource(ctx, t.TempDir())
	require.ErrorContains(t, err, "is not a MetalLB source tree")

	mod, err := images.ModuleDir(ctx, "go.universe.tf/metallb@"+images.MetalLBVersion)
	require.NoError(t, err)
	tree := filepath.Join(t.TempDir(), "metallb")
	// The module cache is read-only; a checkout is not.
	out, err := exec.CommandContext(ctx, "cp", "-r", "--no-preserve=mode", mod, tree).CombinedOutput()
	require.NoError(t, err, "copy the MetalLB tree: %s", out)
	refs, err := kit.MetalLBSource(ctx, tree)
	require.NoError(t, err)
	t.Logf("MetalLB from %s: %v", tree, refs)

	lab := upLab(t, ctx, inFamily(t, topologies.SingleHop()), harness.WithImageRefs(refs))
	require.Equal(t, refs[images.MetalLBSpeaker], lab.ImageRef(images.MetalLBSpeaker))
	cs, _, err := lab.Kubernetes()
	require.NoError(t, err)
	pods, err := cs.CoreV1().Pods(harness.MetalLBNamespace).List(ctx, metav1.ListOptions{LabelSelector: "component=speaker"})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items)
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			if c.Name == "speaker" {
				require.Equal(t, refs[images.MetalLBSpeaker], c.Image, "speaker pod %s", p.Name)
			}
		}
	}
	coreChecks(t, ctx, lab)
	assertNoEgress(t, ctx, lab)
}
