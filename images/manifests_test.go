package images

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The manifests image holds each backend's manifest exactly as MetalLB's
// module ships it, ReadManifest copies it back out, and a name the image
// lacks is an error that names the fix. Needs Docker (the unit lane has it).
func TestManifestsImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := checkDocker(ctx); err != nil {
		t.Skipf("no Docker: %v", err)
	}
	k, err := New(WithMode(ModeOffline), WithProgress(io.Discard), WithCacheDir(t.TempDir()))
	require.NoError(t, err)
	refs, err := k.Ensure(ctx, Manifests)
	require.NoError(t, err)
	require.Equal(t, tagManifests, refs[Manifests])
	for _, f := range ManifestFiles {
		want, err := ModuleManifest(ctx, f)
		require.NoError(t, err)
		got, err := ReadManifest(ctx, refs[Manifests], f)
		require.NoError(t, err, f)
		require.Equal(t, len(want), len(got), f)
		require.Equal(t, string(want), string(got), f)
	}
	_, err = ReadManifest(ctx, refs[Manifests], "metallb-none.yaml")
	require.ErrorContains(t, err, "peerlab images build")
	// No container of the reads is left.
	out, err := run(ctx, nil, nil, "", "docker", "ps", "-aq", "--filter", "ancestor="+tagManifests)
	require.NoError(t, err)
	require.Empty(t, string(out))
}
