package images

import (
	"context"
	_ "embed"
	"fmt"
	"path/filepath"
)

// Name names an image a lab uses.
type Name string

// The images a lab runs. Internal images (the control plane's, the pod
// network's) live only inside the node image and have no Name.
const (
	Node              Name = "node"
	FRR               Name = "frr"
	MetalLBController Name = "metallb-controller"
	MetalLBSpeaker    Name = "metallb-speaker"
	Backend           Name = "backend"
	// FRRK8s is the frr-k8s daemon's image (the frr-k8s backend's pods
	// run it beside the FRR image).
	FRRK8s Name = "frr-k8s"
)

// All lists every image a lab uses, in build order.
var All = []Name{FRR, MetalLBController, MetalLBSpeaker, Manifests, Backend, Node, FRRK8s}

// recipe is how one image is made.
type recipe struct {
	tag      string // the local tag of the offline build
	upstream string // public reference; "" for peerlab's own images
	hash     func(ctx context.Context) (string, error)
	build    func(ctx context.Context, hash string) (id string, err error)
}

//go:embed files/frr-docker-start
var frrDockerStart string

//go:embed manifests/default-cni.yaml
var defaultCNIManifest string

//go:embed manifests/default-storage.yaml
var defaultStorageManifest string

// Upstream references (used in upstream and auto modes).
const (
	upstreamNode       = "kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d"
	upstreamFRR        = "quay.io/frrouting/frr:10.5.3"
	upstreamController = "quay.io/metallb/controller:" + MetalLBVersion
	upstreamSpeaker    = "quay.io/metallb/speaker:" + MetalLBVersion
	upstreamFRRK8s     = "quay.io/metallb/frr-k8s:" + FRRK8sVersion
)

// FRRImage is the offline FRR image: routers and MetalLB's speaker pods run
// it (the routers package uses it as its default).
const FRRImage = "peerlab/frr:forky"

// Tags of the offline builds. Tags are stable; the inputs label says which
// inputs an image was made from.
const (
	tagNode       = "peerlab/node:" + KubernetesVersion
	tagFRR        = FRRImage
	tagController = "peerlab/metallb-controller:" + MetalLBVersion
	tagSpeaker    = "peerlab/metallb-speaker:" + MetalLBVersion
	tagBackend    = "peerlab/backend:1"
	tagFRRK8s     = "peerlab/frr-k8s:" + FRRK8sVersion
	// Images only the node image holds.
	tagCNID      = "peerlab/cnid:1"
	tagLocalPath = "peerlab/local-path-provisioner:" + localPathVersion
	tagPathHelp  = "peerlab/local-path-helper:1"
	tagNodeBase  = "peerlab/node-base:" + KubernetesVersion
)

// pathEnv is set explicitly: images made with docker import have no
// environment, and some runtimes then give processes no PATH.
const pathEnv = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (k *Kit) recipes() map[Name]recipe {
	return map[Name]recipe{
		FRR:               {tag: tagFRR, upstream: upstreamFRR, hash: k.frrHash, build: k.buildFRR},
		MetalLBController: {tag: tagController, upstream: upstreamController, hash: k.controllerHash, build: k.buildController},
		MetalLBSpeaker:    {tag: tagSpeaker, upstream: upstreamSpeaker, hash: k.speakerHash, build: k.buildSpeaker},
		Manifests:         {tag: tagManifests, hash: k.manifestsHash, build: k.buildManifests},
		Backend:           {tag: tagBackend, hash: k.backendHash, build: k.buildBackend},
		Node:              {tag: tagNode, upstream: upstreamNode, hash: k.nodeHash, build: k.buildNode},
		FRRK8s:            {tag: tagFRRK8s, upstream: upstreamFRRK8s, hash: k.frrK8sHash, build: k.buildFRRK8s},
	}
}

// memo caches an input hash for the Kit's lifetime: hashing reads binaries
// and module files, and several images share inputs.
func (k *Kit) memo(key string, fn func() (string, error)) (string, error) {
	k.mu.Lock()
	h, ok := k.hashes[key]
	k.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := fn()
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	k.hashes[key] = h
	k.mu.Unlock()
	return h, nil
}

func combine(parts ...any) string {
	h := newHasher()
	for i, p := range parts {
		h.add(fmt.Sprint(i), p)
	}
	return h.hex()
}

// --- FRR -------------------------------------------------------------------

// frrRootfs: Debian forky (testing) carries FRR 10.7. Bookworm's 8.4 is too
// old for MetalLB's reloader, and trixie's 10.3 holds a BGP session with
// BFD in Idle until BFD is up (FRRouting/frr#18562, fixed in 10.3.1), which
// deadlocks multihop BFD: the multihop BFD session only starts once BGP is
// up. The frr user and group get the ids MetalLB's speaker pod runs its
// init container as (uid 100, gid 101), so they are created before the
// package would pick its own.
func frrRootfs() rootfs {
	return rootfs{
		Name:   "frr",
		Suite:  "forky",
		Script: "sid",
		PreInstall: "groupadd --system --gid 101 frr\n" +
			"useradd --system --uid 100 --gid 101 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin frr\n",
		Packages: []string{"frr", "frr-pythontools", "tini", "bash", "util-linux", "python3", "iproute2",
			"iputils-ping", "curl", "tcpdump", "procps", "iptables", "ethtool", "ca-certificates"},
		PostInstall: "ln -sf /usr/bin/tini /sbin/tini\n" +
			"mkdir -p /var/run/frr /var/lib/frr /var/log/frr /var/tmp/frr\n" +
			"chown frr:frr /var/run/frr /var/lib/frr /var/log/frr /var/tmp/frr /etc/frr\n",
		Version: 1,
	}
}

func (k *Kit) frrHash(ctx context.Context) (string, error) {
	return k.memo("frr", func() (string, error) {
		r, err := k.rootfsHash(frrRootfs())
		if err != nil {
			return "", err
		}
		return combine("frr", 1, r, frrDockerStart), nil
	})
}

func (k *Kit) buildFRR(ctx context.Context, hash string) (string, error) {
	tarball, err := k.buildRootfs(ctx, frrRootfs())
	if err != nil {
		return "", err
	}
	return importRootfsWith(ctx, tarball,
		map[string]fileEntry{"/usr/lib/frr/docker-start": {content: frrDockerStart, mode: 0o755}},
		[]string{pathEnv, `ENTRYPOINT ["/sbin/tini", "--", "/usr/lib/frr/docker-start"]`, labelChange(hash)})
}

func labelChange(hash string) string {
	return fmt.Sprintf("LABEL %s=%s %s=1", LabelInputs, hash, LabelKit)
}

// --- MetalLB ---------------------------------------------------------------

func (k *Kit) goHash(b goBuild) (string, error) {
	return k.memo("go:"+b.Name, func() (string, error) { return k.goBuildHash(b) })
}

func (k *Kit) controllerHash(ctx context.Context) (string, error) {
	g, err := k.goHash(metallbBuild())
	return combine("metallb-controller", 1, g), err
}

func (k *Kit) buildController(ctx context.Context, hash string) (string, error) {
	bin, err := k.buildGo(ctx, metallbBuild())
	if err != nil {
		return "", err
	}
	return controllerImage(ctx, bin, hash)
}

// controllerImage makes the controller's image from a directory of MetalLB
// binaries (the pinned module's or a source tree's).
func controllerImage(ctx context.Context, bin, hash string) (string, error) {
	return importLayer(ctx, scratchFiles(map[string]fileEntry{"/controller": {src: filepath.Join(bin, "controller"), mode: 0o755}}),
		[]string{pathEnv, `ENTRYPOINT ["/controller"]`, labelChange(hash)})
}

// metallbReloader is the script MetalLB ships in its module and copies into
// the speaker pod (cp-reloader init container) for the FRR containers.
func metallbReloader(ctx context.Context) (string, error) {
	dir, err := ModuleDir(ctx, "go.universe.tf/metallb@"+MetalLBVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "frr-tools", "reloader", "frr-reloader.sh"), nil
}

func (k *Kit) speakerHash(ctx context.Context) (string, error) {
	g, err := k.goHash(metallbBuild())
	if err != nil {
		return "", err
	}
	script, err := metallbReloader(ctx)
	if err != nil {
		return "", err
	}
	h := newHasher()
	if err := h.addFile("reloader", script); err != nil {
		return "", err
	}
	return combine("metallb-speaker", 1, g, h.hex()), nil
}

func (k *Kit) buildSpeaker(ctx context.Context, hash string) (string, error) {
	bin, err := k.buildGo(ctx, metallbBuild())
	if err != nil {
		return "", err
	}
	script, err := metallbReloader(ctx)
	if err != nil {
		return "", err
	}
	return speakerImage(ctx, bin, script, hash)
}

// speakerImage makes the speaker's image from a directory of MetalLB
// binaries and the FRR reloader script that goes with them.
func speakerImage(ctx context.Context, bin, script, hash string) (string, error) {
	return importLayer(ctx, scratchFiles(map[string]fileEntry{
		"/speaker":         {src: filepath.Join(bin, "speaker"), mode: 0o755},
		"/cp-tool":         {src: filepath.Join(bin, "cp-tool"), mode: 0o755},
		"/frr-metrics":     {src: filepath.Join(bin, "frr-metrics"), mode: 0o755},
		"/frr-reloader.sh": {src: script, mode: 0o755},
	}), []string{pathEnv, `ENTRYPOINT ["/speaker"]`, labelChange(hash)})
}

// --- frr-k8s ---------------------------------------------------------------

// frrK8sReloader is frr-k8s's reloader script, shipped in its module; its
// init container copies it into the pod for the FRR containers.
func frrK8sReloader(ctx context.Context) (string, error) {
	dir, err := ModuleDir(ctx, "github.com/metallb/frr-k8s@"+FRRK8sVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "cmd", "reloader", "frr-reloader.sh"), nil
}

func (k *Kit) frrK8sHash(ctx context.Context) (string, error) {
	g, err := k.goHash(frrK8sBuild())
	if err != nil {
		return "", err
	}
	m, err := k.goHash(metallbBuild())
	if err != nil {
		return "", err
	}
	script, err := frrK8sReloader(ctx)
	if err != nil {
		return "", err
	}
	h := newHasher()
	if err := h.addFile("reloader", script); err != nil {
		return "", err
	}
	return combine("frr-k8s", 1, g, m, h.hex()), nil
}

// buildFRRK8s makes a FROM-scratch image of frr-k8s's programs, where the
// upstream image is Alpine: its init containers copy files with a shell's
// cp, which the harness replaces by MetalLB's cp-tool, carried here.
func (k *Kit) buildFRRK8s(ctx context.Context, hash string) (string, error) {
	bin, err := k.buildGo(ctx, frrK8sBuild())
	if err != nil {
		return "", err
	}
	mlb, err := k.buildGo(ctx, metallbBuild())
	if err != nil {
		return "", err
	}
	script, err := frrK8sReloader(ctx)
	if err != nil {
		return "", err
	}
	files := map[string]fileEntry{
		"/cp-tool":         {src: filepath.Join(mlb, "cp-tool"), mode: 0o755},
		"/frr-reloader.sh": {src: script, mode: 0o755},
	}
	for _, b := range []string{"frr-k8s", "statuscleaner", "frr-metrics", "frr-status"} {
		files["/"+b] = fileEntry{src: filepath.Join(bin, b), mode: 0o755}
	}
	return importLayer(ctx, scratchFiles(files), []string{pathEnv, `ENTRYPOINT ["/frr-k8s"]`, labelChange(hash)})
}

// scratchFiles adds what static programs in a FROM-scratch image still
// expect: a passwd/group with nobody, and a world-writable /tmp.
func scratchFiles(files map[string]fileEntry) map[string]fileEntry {
	files["/etc/passwd"] = fileEntry{content: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n", mode: 0o644}
	files["/etc/group"] = fileEntry{content: "root:x:0:\nnogroup:x:65534:\n", mode: 0o644}
	files["/tmp"] = fileEntry{dir: true, mode: 0o1777}
	return files
}

// --- peerlab's own ---------------------------------------------------------

func (k *Kit) backendHash(ctx context.Context) (string, error) {
	g, err := k.goHash(ownBuild())
	return combine("backend", 1, g), err
}

func (k *Kit) buildBackend(ctx context.Context, hash string) (string, error) {
	bin, err := k.buildGo(ctx, ownBuild())
	if err != nil {
		return "", err
	}
	return importLayer(ctx, scratchFiles(map[string]fileEntry{"/backend": {src: filepath.Join(bin, "backend"), mode: 0o755}}),
		[]string{pathEnv, `ENTRYPOINT ["/backend"]`, "USER 65534", labelChange(hash)})
}
