package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/peerlab/peerlab/images"
)

// upLoadImages makes sure every node's containerd holds the images the
// cluster runs (MetalLB, FRR for the speaker pods, the backend), so nothing
// is pulled. The kit's node image already holds its own builds of them;
// only what a node lacks (upstream references, a topology's nodeImage) is
// loaded: one docker save, then every node that needs it imports it in
// parallel.
func (l *Lab) upLoadImages(ctx context.Context) error {
	ns, err := l.cluster.nodes()
	if err != nil {
		return err
	}
	b, err := backendOf(l.topo)
	if err != nil {
		return err
	}
	// The node image's own (every backend's common images), then what the
	// backend adds (frr-k8s's image is not in the node image: only its
	// labs pay for loading it).
	var refs []string
	for _, n := range append(slices.Clone(images.LabImages), metallbImages(b)...) {
		if r := l.refs[n]; !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	// One listing per node, side by side (sequential listings took 2 s).
	haves := make([][]string, len(ns))
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for i, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			haves[i], errs[i] = nodeImages(n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	missing := make([][]string, len(ns))
	var all []string
	for i, have := range haves {
		for _, r := range refs {
			if !slices.Contains(have, images.ContainerdRef(r)) {
				missing[i] = append(missing[i], r)
				if !slices.Contains(all, r) {
					all = append(all, r)
				}
			}
		}
	}
	if len(all) == 0 {
		l.logf("the node image holds every image the cluster runs; nothing to load")
		return nil
	}
	l.logf("loading %s into the nodes", strings.Join(all, ", "))
	tmp, err := os.MkdirTemp("", "peerlab-images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	archive := filepath.Join(tmp, "images.tar")
	cmd := exec.CommandContext(ctx, "docker", append([]string{"save", "-o", archive}, all...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker save %v: %v: %s", all, err, out)
	}
	errs = make([]error, len(ns))
	for i, n := range ns {
		if len(missing[i]) == 0 {
			continue
		}
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

// nodeImages lists the image names in a node's containerd (CRI namespace).
func nodeImages(n nodes.Node) ([]string, error) {
	var out strings.Builder
	cmd := n.Command("ctr", "--namespace=k8s.io", "images", "ls", "-q")
	cmd.SetStdout(&out)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("list images on %s: %w", n.String(), err)
	}
	return strings.Fields(out.String()), nil
}
