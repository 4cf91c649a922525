package images

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distribution/reference"
)

// Labels every image of the kit carries.
const (
	// LabelInputs holds the hash of everything an image was made from.
	LabelInputs = "io.peerlab.inputs"
	// LabelKit marks images made by the kit, for listing and cleanup.
	LabelKit = "io.peerlab.kit"
)

// imageLabel returns a label of a local image, or "" with ok=false when the
// image is not present.
func imageLabel(ctx context.Context, ref, label string) (string, bool) {
	out, err := run(ctx, nil, nil, "", "docker", "image", "inspect", "--format", fmt.Sprintf("{{index .Config.Labels %q}}", label), ref)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

func imagePresent(ctx context.Context, ref string) bool {
	_, err := run(ctx, nil, nil, "", "docker", "image", "inspect", "--format", "{{.Id}}", ref)
	return err == nil
}

// importImage turns a tar stream of a root filesystem into an untagged image
// and returns its id. Tagging is a separate, last step, so an interrupted
// build never leaves a tag pointing at a partial image.
func importImage(ctx context.Context, r io.Reader, changes []string) (string, error) {
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, "-")
	out, err := run(ctx, r, nil, "", "docker", args...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// dockerfileBuild builds a tiny Dockerfile with the classic builder (it
// needs no registry for a local base) and returns the image id. Used for
// settings docker import cannot set, such as STOPSIGNAL.
func dockerfileBuild(ctx context.Context, dockerfile string) (string, error) {
	dir, err := os.MkdirTemp("", "peerlab-dockerfile-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	idFile := filepath.Join(dir, "id")
	if _, err := run(ctx, nil, []string{"DOCKER_BUILDKIT=0"}, dir, "docker", "build", "-q", "--iidfile", idFile, dir); err != nil {
		return "", err
	}
	id, err := os.ReadFile(idFile)
	return strings.TrimSpace(string(id)), err
}

func tagImage(ctx context.Context, id, ref string) error {
	_, err := run(ctx, nil, nil, "", "docker", "tag", id, ref)
	return err
}

// fileEntry is one file of a synthetic image layer.
type fileEntry struct {
	src     string // host path to copy, or
	content string // literal content
	mode    int64
	dir     bool
}

// writeLayer writes a tar of the given files (parent directories are added
// as needed) to w. Used for FROM-scratch images holding static binaries.
func writeLayer(w io.Writer, files map[string]fileEntry) error {
	return writeLayerAfter(w, files, map[string]bool{})
}

// writeLayerAfter is writeLayer for a stream that already holds the
// directories in seen ("/usr", "/etc", ...); docker's importer rejects an
// archive that names a path twice.
func writeLayerAfter(w io.Writer, files map[string]fileEntry, seen map[string]bool) error {
	tw := tar.NewWriter(w)
	var addDirs func(p string) error
	addDirs = func(p string) error {
		d := filepath.Dir(p)
		if d == "." || d == "/" || seen[d] {
			return nil
		}
		if err := addDirs(d); err != nil {
			return err
		}
		seen[d] = true
		return tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(d, "/") + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := files[name]
		if err := addDirs(name); err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "/")
		if f.dir {
			if seen[name] {
				continue
			}
			seen[name] = true
			if err := tw.WriteHeader(&tar.Header{Name: rel + "/", Typeflag: tar.TypeDir, Mode: f.mode}); err != nil {
				return err
			}
			continue
		}
		if f.src == "" {
			if err := tw.WriteHeader(&tar.Header{Name: rel, Typeflag: tar.TypeReg, Mode: f.mode, Size: int64(len(f.content))}); err != nil {
				return err
			}
			if _, err := io.WriteString(tw, f.content); err != nil {
				return err
			}
			continue
		}
		src, err := os.Open(f.src)
		if err != nil {
			return err
		}
		fi, err := src.Stat()
		if err != nil {
			src.Close()
			return err
		}
		mode := f.mode
		if mode == 0 {
			mode = int64(fi.Mode().Perm())
		}
		if err := tw.WriteHeader(&tar.Header{Name: rel, Typeflag: tar.TypeReg, Mode: mode, Size: fi.Size()}); err != nil {
			src.Close()
			return err
		}
		_, err = io.Copy(tw, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// importLayer imports a synthetic layer as an image.
func importLayer(ctx context.Context, files map[string]fileEntry, changes []string) (string, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeLayer(pw, files)) }()
	id, err := importImage(ctx, pr, changes)
	pr.CloseWithError(io.ErrClosedPipe)
	return id, err
}

// importRootfsWith imports a Debian root filesystem tarball plus extra files
// as one image: the tarball and the extra layer are concatenated as tar
// streams (tar readers accept concatenated archives with -i; docker's
// importer does not), so the extra files are appended to a copy instead.
func importRootfsWith(ctx context.Context, rootfsTar string, extra map[string]fileEntry, changes []string) (string, error) {
	if len(extra) == 0 {
		f, err := os.Open(rootfsTar)
		if err != nil {
			return "", err
		}
		defer f.Close()
		return importImage(ctx, f, changes)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(appendTar(pw, rootfsTar, extra)) }()
	id, err := importImage(ctx, pr, changes)
	pr.CloseWithError(io.ErrClosedPipe)
	return id, err
}

// appendTar copies the entries of base to w, then the extra files. A base
// file that an extra file replaces is left out.
func appendTar(w io.Writer, base string, extra map[string]fileEntry) error {
	f, err := os.Open(base)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := "/" + strings.Trim(strings.TrimPrefix(hdr.Name, "./"), "/")
		if _, replaced := extra[name]; replaced && hdr.Typeflag != tar.TypeDir {
			continue
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs[name] = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// writeLayerAfter writes its own end-of-archive marker; the base's was
	// not copied, so the two streams form one archive.
	return writeLayerAfter(w, extra, dirs)
}

// ContainerdRef is the full name containerd (and so a kind node) gives an
// image reference: "peerlab/frr:forky" is "docker.io/peerlab/frr:forky".
// A reference that does not parse is returned unchanged.
func ContainerdRef(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return n.String()
}
