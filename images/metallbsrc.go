package images

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MetalLBSource builds the controller, speaker and manifests images from a
// local MetalLB source tree (a developer's checkout), the way the kit
// builds the pinned release: go build of the same mains in the tree's own
// module, MetalLB's reloader script and manifests from the tree. The images
// are tagged by the hash of the tree's files (all but .git, tests and
// testdata: embedded templates count), so an unchanged tree is never
// rebuilt and two trees never share a tag. The returned refs replace the kit's MetalLB images in a lab
// (harness.WithImages plus harness.WithImageRefs); they are not baked into
// the node image, so the lab loads them into its nodes at up.
func (k *Kit) MetalLBSource(ctx context.Context, dir string) (Refs, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkMetalLBTree(abs); err != nil {
		return nil, err
	}
	if err := checkDocker(ctx); err != nil {
		return nil, err
	}
	b := metallbBuild()
	b.Name = "metallb-src"
	b.Require = nil
	b.src = abs
	script := filepath.Join(abs, "frr-tools", "reloader", "frr-reloader.sh")
	manifests := filepath.Join(abs, "config", "manifests")
	g, err := k.goBuildHash(b)
	if err != nil {
		return nil, fmt.Errorf("MetalLB source %s: %w", abs, err)
	}
	h := newHasher()
	if err := h.addFile("reloader", script); err != nil {
		return nil, fmt.Errorf("MetalLB source %s: %w", abs, err)
	}
	for _, f := range ManifestFiles {
		if err := h.addFile(f, filepath.Join(manifests, f)); err != nil {
			return nil, fmt.Errorf("MetalLB source %s: %w", abs, err)
		}
	}
	tree := combine("metallb-src", 1, g, h.hex())
	suffix := ":src-" + short(tree)
	refs := Refs{
		MetalLBController: "peerlab/metallb-controller" + suffix,
		MetalLBSpeaker:    "peerlab/metallb-speaker" + suffix,
		Manifests:         "peerlab/metallb-manifests" + suffix,
	}
	k.logf("MetalLB from the source tree %s (inputs %s)", abs, short(tree))
	binary := func(ctx context.Context) (string, error) { return k.buildGo(ctx, b) }
	builds := []struct {
		name  Name
		build func(ctx context.Context, hash string) (string, error)
	}{
		{MetalLBController, func(ctx context.Context, hash string) (string, error) {
			bin, err := binary(ctx)
			if err != nil {
				return "", err
			}
			return controllerImage(ctx, bin, hash)
		}},
		{MetalLBSpeaker, func(ctx context.Context, hash string) (string, error) {
			bin, err := binary(ctx)
			if err != nil {
				return "", err
			}
			return speakerImage(ctx, bin, script, hash)
		}},
		{Manifests, func(ctx context.Context, hash string) (string, error) {
			return manifestsImage(ctx, manifests, hash)
		}},
	}
	for _, bd := range builds {
		if err := k.ensureTagged(ctx, refs[bd.name], combine(string(bd.name), tree), bd.build); err != nil {
			return nil, fmt.Errorf("MetalLB source %s: image %s: %w", abs, bd.name, err)
		}
	}
	return refs, nil
}

// checkMetalLBTree refuses a directory that is not MetalLB's module root,
// naming what it found instead.
func checkMetalLBTree(dir string) error {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not a MetalLB source tree (no go.mod): give the root of a MetalLB checkout", dir)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if mod = strings.TrimSpace(mod); mod != "go.universe.tf/metallb" {
				return fmt.Errorf("%s is module %s, not go.universe.tf/metallb: give the root of a MetalLB checkout", dir, mod)
			}
			for _, f := range ManifestFiles {
				if _, err := os.Stat(filepath.Join(dir, "config", "manifests", f)); err != nil {
					return fmt.Errorf("MetalLB source %s has no config/manifests/%s", dir, f)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("%s/go.mod names no module", dir)
}
