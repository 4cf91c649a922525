// Package bundle is the repro bundle: one .tar.gz that holds everything
// needed to get a lab again and to see what it looked like: the topology as
// applied (scenario changes included), the versions it ran (peerlab,
// Kubernetes, MetalLB, FRR, kind), each image's reference and input hash,
// the results of the lab's checks when it was bundled, and its dump.
// `peerlab up --bundle` reads it back, refuses images built from other
// inputs, brings up the same topology and runs the same checks.
package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// Format is the bundle format this peerlab writes and reads.
const Format = 1

// manifestName is the bundle's own file in the archive; the topology and
// the dump sit beside it.
const (
	manifestName = "bundle.json"
	topologyName = "topology.yaml"
	dumpDir      = "dump"
)

// Manifest is bundle.json.
type Manifest struct {
	Format   int       `json:"format"`
	Created  time.Time `json:"created"`
	Lab      string    `json:"lab"`
	Topology string    `json:"topology"` // its name; the whole of it is topology.yaml
	Versions Versions  `json:"versions"`
	Images   []Image   `json:"images"`
	Checks   []Result  `json:"checks"`
}

// Versions the lab ran.
type Versions struct {
	Peerlab    string `json:"peerlab"`
	Kubernetes string `json:"kubernetes"`
	MetalLB    string `json:"metallb"`
	FRR        string `json:"frr"`
	Kind       string `json:"kind"`
}

// Image is one image the lab ran.
type Image struct {
	Name string `json:"name"`
	Ref  string `json:"ref"`
	// Hash is the hash of the offline build's inputs ("" for an upstream
	// image): the same hash means the same image.
	Hash string `json:"hash,omitempty"`
}

// Result of one check.
type Result struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Error  string `json:"error,omitempty"`
}

// Checks are the checks a bundle records and replays, by name.
func Checks() []NamedCheck {
	return []NamedCheck{
		{"sessions-established", scenarios.SessionsEstablished},
		{"bfd-up", scenarios.BFDUp},
		{"ecmp-next-hops", scenarios.ECMPNextHops},
		{"service-families", scenarios.ServiceFamilies},
		{"oracle", scenarios.Converged()},
		{"reachable-everywhere", scenarios.ReachableEverywhere(6)},
	}
}

// NamedCheck is a check with its name in the bundle.
type NamedCheck struct {
	Name  string
	Check scenarios.Check
}

// PeerlabVersion is the commit this binary was built from ("-dirty" with
// local changes): the build's VCS stamp, else (go run, -buildvcs=false) the
// checkout the working directory is in, else "devel".
func PeerlabVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return checkoutVersion()
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return checkoutVersion()
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return rev + dirty
}

// Write bundles a running lab into path: its topology, versions, images,
// the checks' results now (each run once) and its dump.
func Write(ctx context.Context, lab *harness.Lab, kit *images.Kit, path string) (Manifest, error) {
	m := Manifest{Format: Format, Created: time.Now().UTC(), Lab: lab.ID(), Topology: lab.Topology().Name}
	m.Versions = Versions{Peerlab: PeerlabVersion(), Kubernetes: lab.Topology().Cluster.KubernetesVersion, MetalLB: images.MetalLBVersion, Kind: images.KindVersion}
	if ref := lab.ImageRef(images.MetalLBSpeaker); ref != "" && !strings.HasSuffix(ref, ":"+images.MetalLBVersion) {
		// Not the pinned release: a source tree's build or a given image.
		m.Versions.MetalLB = ref
	}
	if len(lab.Topology().Routers) > 0 {
		if e, err := lab.Exec(lab.Topology().Routers[0].Name); err == nil {
			if out, _, err := e.Exec(ctx, []string{"vtysh", "-c", "show version"}); err == nil {
				m.Versions.FRR = frrVersion(string(out))
			}
		}
	}
	imgs, err := imagesOf(ctx, lab, kit)
	if err != nil {
		return m, err
	}
	m.Images = imgs
	for _, c := range Checks() {
		r := Result{Name: c.Name, Passed: true}
		if err := c.Check(ctx, lab); err != nil {
			r.Passed, r.Error = false, err.Error()
		}
		m.Checks = append(m.Checks, r)
	}
	topo, err := topologies.Marshal(lab.Topology())
	if err != nil {
		return m, err
	}
	tmp, err := os.MkdirTemp("", "peerlab-bundle-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(tmp)
	if err := lab.Dump(ctx, filepath.Join(tmp, dumpDir)); err != nil {
		// A partial dump still belongs in the bundle; say what is missing.
		_ = os.WriteFile(filepath.Join(tmp, dumpDir, "dump-errors.txt"), []byte(err.Error()+"\n"), 0o644)
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestName), append(mj, '\n'), 0o644); err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(tmp, topologyName), topo, 0o644); err != nil {
		return m, err
	}
	return m, writeTarGz(path, tmp)
}

// checkoutVersion asks git for the commit of the peerlab checkout around
// the working directory.
func checkoutVersion() string {
	dir, err := os.Getwd()
	if err != nil {
		return "devel"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/peerlab/peerlab\n") {
			rev, err := exec.Command("git", "-C", d, "rev-parse", "--short=12", "HEAD").Output()
			if err != nil {
				return "devel"
			}
			v := strings.TrimSpace(string(rev))
			if st, err := exec.Command("git", "-C", d, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
				v += "-dirty"
			}
			return v
		}
		if filepath.Dir(d) == d {
			return "devel"
		}
	}
}

// frrVersion picks "10.7.0" out of vtysh's "show version".
func frrVersion(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "FRRouting" {
			return f[1]
		}
	}
	return ""
}

// imagesOf lists the images the lab runs with their input hashes.
func imagesOf(ctx context.Context, lab *harness.Lab, kit *images.Kit) ([]Image, error) {
	sts, err := kit.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, s := range sts {
		ref := lab.ImageRef(s.Name)
		img := Image{Name: string(s.Name), Ref: ref}
		if ref == "" || ref == s.Tag {
			// The offline build: its hash says which inputs made it.
			img.Ref, img.Hash = s.Tag, s.Hash
		}
		out = append(out, img)
	}
	return out, nil
}

// Read opens a bundle: its manifest and topology (the dump stays in the
// archive). A bundle of another format is refused.
func Read(path string) (Manifest, topologies.Topology, error) {
	var m Manifest
	var topo []byte
	f, err := os.Open(path)
	if err != nil {
		return m, topologies.Topology{}, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return m, topologies.Topology{}, fmt.Errorf("bundle %s is not a peerlab bundle (.tar.gz): %w", path, err)
	}
	tr := tar.NewReader(zr)
	var haveManifest bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, topologies.Topology{}, fmt.Errorf("bundle %s: %w", path, err)
		}
		switch h.Name {
		case manifestName:
			b, err := io.ReadAll(tr)
			if err != nil {
				return m, topologies.Topology{}, err
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return m, topologies.Topology{}, fmt.Errorf("bundle %s: %s: %w", path, manifestName, err)
			}
			haveManifest = true
		case topologyName:
			if topo, err = io.ReadAll(tr); err != nil {
				return m, topologies.Topology{}, err
			}
		}
	}
	if !haveManifest || topo == nil {
		return m, topologies.Topology{}, fmt.Errorf("bundle %s lacks %s or %s: not a peerlab bundle", path, manifestName, topologyName)
	}
	if m.Format != Format {
		return m, topologies.Topology{}, fmt.Errorf("bundle %s has format %d; this peerlab reads format %d: use peerlab %s, the version that wrote it", path, m.Format, Format, m.Versions.Peerlab)
	}
	t, err := topologies.Parse(topo)
	if err != nil {
		return m, t, fmt.Errorf("bundle %s: %s: %w", path, topologyName, err)
	}
	return m, t, nil
}

// CheckCompatible says why this peerlab and these images cannot give the
// bundle's lab again: another peerlab version, or an image built from
// other inputs (refs are what the kit resolved here, statuses its hashes).
func (m Manifest) CheckCompatible(version string, refs images.Refs, sts []images.Status) error {
	var problems []string
	if version != "devel" && m.Versions.Peerlab != "devel" && version != m.Versions.Peerlab {
		commit, dirty := strings.CutSuffix(m.Versions.Peerlab, "-dirty")
		fix := fmt.Sprintf("git checkout %s, and build peerlab there", commit)
		if dirty {
			fix = fmt.Sprintf("git checkout %s with the same local changes (the bundle's checkout had some), and build peerlab there", commit)
		}
		problems = append(problems, fmt.Sprintf("the bundle was made by peerlab %s, this is %s: %s", m.Versions.Peerlab, version, fix))
	}
	for _, img := range m.Images {
		i := slices.IndexFunc(sts, func(s images.Status) bool { return string(s.Name) == img.Name })
		if i < 0 {
			problems = append(problems, fmt.Sprintf("image %s: this peerlab does not know it", img.Name))
			continue
		}
		s := sts[i]
		here := refs[images.Name(img.Name)]
		switch {
		case img.Hash != "" && here == s.Tag && s.Hash != img.Hash:
			problems = append(problems, fmt.Sprintf("image %s: built here from inputs %s, the bundle's from %s: the same peerlab checkout rebuilds it (peerlab images build)", img.Name, s.Hash, img.Hash))
		case img.Hash != "" && here != s.Tag:
			problems = append(problems, fmt.Sprintf("image %s: the bundle ran the offline build %s, this machine resolves %s (use --images offline)", img.Name, img.Ref, here))
		case img.Hash == "" && here != img.Ref:
			problems = append(problems, fmt.Sprintf("image %s: the bundle ran %s, this machine resolves %s", img.Name, img.Ref, here))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("this machine cannot give the bundle's lab again:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// Replay runs the bundle's checks on a lab, each until it passes or the
// deadline, and returns the results in the bundle's order.
func (m Manifest) Replay(ctx context.Context, lab *harness.Lab, timeout time.Duration) []Result {
	var out []Result
	for _, want := range m.Checks {
		i := slices.IndexFunc(Checks(), func(c NamedCheck) bool { return c.Name == want.Name })
		if i < 0 {
			out = append(out, Result{Name: want.Name, Error: "this peerlab has no such check"})
			continue
		}
		r := Result{Name: want.Name, Passed: true}
		if err := scenarios.Eventually(ctx, lab, timeout, time.Second, Checks()[i].Check); err != nil {
			r.Passed, r.Error = false, err.Error()
		}
		out = append(out, r)
	}
	return out
}

// writeTarGz writes dir's files into a gzipped tar at path (atomically).
func writeTarGz(path, dir string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return nil
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
