package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/peerlab/peerlab/images"
)

// upLoadImages puts the images the cluster runs (MetalLB, FRR for the
// speaker pods, the backend) into every node's containerd, so nothing is
// pulled. One docker save, then every node imports it in parallel.
func (l *Lab) upLoadImages(ctx context.Context) error {
	var refs []string
	for _, n := range []images.Name{images.MetalLBController, images.MetalLBSpeaker, images.FRR, images.Backend} {
		refs = append(refs, l.refs[n])
	}
	tmp, err := os.MkdirTemp("", "peerlab-images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	archive := filepath.Join(tmp, "images.tar")
	cmd := exec.CommandContext(ctx, "docker", append([]string{"save", "-o", archive}, refs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker save %v: %v: %s", refs, err, out)
	}
	ns, err := l.cluster.nodes()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ns))
	for i, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := os.Open(archive)
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			if err := nodeutils.LoadImageArchive(n, f); err != nil {
				errs[i] = fmt.Errorf("load images into %s: %w", n.String(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
