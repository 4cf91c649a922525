package images

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Manifests is the kit's image of MetalLB's install manifests: a
// FROM-scratch image holding one file per backend under ManifestDir. The
// manifests ship in MetalLB's Go module; taking them at kit-build time
// means a lab comes up from the images alone, with no module download (and
// so no Go toolchain or module proxy) at lab-up. The image is never run;
// ReadManifest copies a file out of it.
const Manifests Name = "metallb-manifests"

// The manifest of each MetalLB backend, by file name in the module's
// config/manifests and in the image.
const (
	ManifestFRR    = "metallb-frr.yaml"
	ManifestNative = "metallb-native.yaml"
	ManifestFRRK8s = "metallb-frr-k8s.yaml"
)

// ManifestFiles are the manifests the image holds.
var ManifestFiles = []string{ManifestFRR, ManifestNative, ManifestFRRK8s}

// ManifestDir is where the image keeps them.
const ManifestDir = "/manifests"

const tagManifests = "peerlab/metallb-manifests:" + MetalLBVersion

// manifestsDir is where MetalLB's module keeps its manifests: one module
// lookup serves every file.
func manifestsDir(ctx context.Context) (string, error) {
	dir, err := ModuleDir(ctx, "go.universe.tf/metallb@"+MetalLBVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config", "manifests"), nil
}

// ModuleManifest reads a manifest straight from MetalLB's module: what the
// image is built from (the harness's unit tests read it this way, without
// Docker).
func ModuleManifest(ctx context.Context, file string) ([]byte, error) {
	dir, err := manifestsDir(ctx)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, file))
}

func (k *Kit) manifestsHash(ctx context.Context) (string, error) {
	return k.memo("manifests", func() (string, error) {
		dir, err := manifestsDir(ctx)
		if err != nil {
			return "", err
		}
		h := newHasher()
		for _, f := range ManifestFiles {
			if err := h.addFile(f, filepath.Join(dir, f)); err != nil {
				return "", err
			}
		}
		return combine("metallb-manifests", 1, h.hex()), nil
	})
}

func (k *Kit) buildManifests(ctx context.Context, hash string) (string, error) {
	dir, err := manifestsDir(ctx)
	if err != nil {
		return "", err
	}
	return manifestsImage(ctx, dir, hash)
}

// manifestsImage makes the manifests image from a directory holding
// ManifestFiles (the pinned module's config/manifests or a source tree's).
func manifestsImage(ctx context.Context, dir, hash string) (string, error) {
	files := map[string]fileEntry{}
	for _, f := range ManifestFiles {
		files[path.Join(ManifestDir, f)] = fileEntry{src: filepath.Join(dir, f), mode: 0o644}
	}
	// docker create wants a command even for an image that never runs.
	return importLayer(ctx, files, []string{`CMD ["/none"]`, labelChange(hash)})
}

// ReadManifest copies one manifest out of the manifests image ref: a
// container is created (never started), the file copied and the container
// removed, also when ctx ends.
func ReadManifest(ctx context.Context, ref, file string) ([]byte, error) {
	out, err := run(ctx, nil, nil, "", "docker", "create", "--label", LabelKit+"=1", ref)
	if err != nil {
		return nil, fmt.Errorf("manifests image %s: %w\nfix: peerlab images build (it builds %s)", ref, err, Manifests)
	}
	id := strings.TrimSpace(string(out))
	defer run(context.WithoutCancel(ctx), nil, nil, "", "docker", "rm", "-f", id)
	raw, err := run(ctx, nil, nil, "", "docker", "cp", id+":"+path.Join(ManifestDir, file), "-")
	if err != nil {
		return nil, fmt.Errorf("manifest %s in %s: %w\nfix: peerlab images build --images offline %s", file, ref, err, Manifests)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("manifest %s in %s: docker cp returned no file", file, ref)
		}
		if err != nil {
			return nil, fmt.Errorf("manifest %s in %s: %w", file, ref, err)
		}
		if h.Typeflag == tar.TypeReg && path.Base(h.Name) == file {
			return io.ReadAll(tr)
		}
	}
}
