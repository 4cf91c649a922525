package images

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/peerlab/peerlab/internal/wait"
)

// The images kubeadm v1.34.10 asks for (`kubeadm config images list`). The
// node build checks this list against the built kubeadm and stops with a
// clear error when a version bump changes it.
const (
	pauseRef   = "registry.k8s.io/pause:3.10.1"
	etcdRef    = "registry.k8s.io/etcd:3.6.5-0"
	corednsRef = "registry.k8s.io/coredns/coredns:" + corednsVersion
)

//go:embed files/peerlab-service-route.sh
var serviceRouteScript string

//go:embed files/peerlab-boot-routes.sh
var bootRoutesScript string

//go:embed files/kubelet-peerlab.conf
var kubeletDropIn string

// innerImage is an image that exists only inside the node image's
// containerd, under the name Kubernetes or a manifest expects.
type innerImage struct {
	name string // short name, used for the transient docker tag
	ref  string // name inside the node
	hash func(ctx context.Context) (string, error)
	// layer lists files for a FROM-scratch image; rootfs, if set, puts them
	// on top of that Debian root instead.
	files   func(ctx context.Context) (map[string]fileEntry, error)
	rootfs  *rootfs
	changes []string
}

// netRootfs is a small Debian root with the packet-filter tools kube-proxy
// and the pod-network daemon call, and the shell local-path's helper runs.
func netRootfs() rootfs {
	return rootfs{
		Name:     "netbase",
		Suite:    "bookworm",
		Packages: []string{"iptables", "nftables", "conntrack", "iproute2", "ipset", "kmod"},
		Version:  1,
	}
}

func (k *Kit) innerImages() []innerImage {
	kube := func(bin string) func(ctx context.Context) (map[string]fileEntry, error) {
		return func(ctx context.Context) (map[string]fileEntry, error) {
			dir, err := k.buildGo(ctx, kubernetesBuild())
			if err != nil {
				return nil, err
			}
			return map[string]fileEntry{"/usr/local/bin/" + bin: {src: filepath.Join(dir, bin), mode: 0o755}}, nil
		}
	}
	goHash := func(name string, b goBuild) func(ctx context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			g, err := k.goHash(b)
			return combine(name, 1, g), err
		}
	}
	net := netRootfs()
	var images []innerImage
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		images = append(images, innerImage{
			name: c, ref: "registry.k8s.io/" + c + ":" + KubernetesVersion,
			hash: goHash(c, kubernetesBuild()), files: kube(c),
		})
	}
	images = append(images,
		innerImage{
			name: "kube-proxy", ref: "registry.k8s.io/kube-proxy:" + KubernetesVersion,
			hash: goHash("kube-proxy", kubernetesBuild()), files: kube("kube-proxy"), rootfs: &net,
		},
		innerImage{
			name: "etcd", ref: etcdRef, hash: goHash("etcd", etcdBuild()),
			files: func(ctx context.Context) (map[string]fileEntry, error) {
				dir, err := k.buildGo(ctx, etcdBuild())
				if err != nil {
					return nil, err
				}
				m := map[string]fileEntry{}
				for _, b := range []string{"etcd", "etcdctl", "etcdutl"} {
					m["/usr/local/bin/"+b] = fileEntry{src: filepath.Join(dir, b), mode: 0o755}
				}
				return m, nil
			},
		},
		innerImage{
			name: "coredns", ref: corednsRef, hash: goHash("coredns", corednsBuild()),
			files: func(ctx context.Context) (map[string]fileEntry, error) {
				dir, err := k.buildGo(ctx, corednsBuild())
				if err != nil {
					return nil, err
				}
				return map[string]fileEntry{"/coredns": {src: filepath.Join(dir, "coredns"), mode: 0o755}}, nil
			},
			changes: []string{`ENTRYPOINT ["/coredns"]`},
		},
		innerImage{
			name: "pause", ref: pauseRef,
			hash: func(ctx context.Context) (string, error) { return combine("pause", 1, KubernetesVersion), nil },
			files: func(ctx context.Context) (map[string]fileEntry, error) {
				bin, err := k.buildPause(ctx)
				if err != nil {
					return nil, err
				}
				return map[string]fileEntry{"/pause": {src: bin, mode: 0o755}}, nil
			},
			changes: []string{`ENTRYPOINT ["/pause"]`},
		},
		innerImage{
			name: "cnid", ref: "docker.io/" + tagCNID, hash: goHash("cnid", ownBuild()), rootfs: &net,
			files: func(ctx context.Context) (map[string]fileEntry, error) {
				dir, err := k.buildGo(ctx, ownBuild())
				if err != nil {
					return nil, err
				}
				return map[string]fileEntry{"/usr/local/bin/peerlab-cnid": {src: filepath.Join(dir, "peerlab-cnid"), mode: 0o755}}, nil
			},
			changes: []string{`ENTRYPOINT ["/usr/local/bin/peerlab-cnid"]`},
		},
		innerImage{
			name: "local-path-provisioner", ref: "docker.io/" + tagLocalPath, hash: goHash("local-path", localPathBuild()),
			files: func(ctx context.Context) (map[string]fileEntry, error) {
				dir, err := k.buildGo(ctx, localPathBuild())
				if err != nil {
					return nil, err
				}
				return map[string]fileEntry{"/usr/local/bin/local-path-provisioner": {src: filepath.Join(dir, "local-path-provisioner"), mode: 0o755}}, nil
			},
		},
		innerImage{
			name: "local-path-helper", ref: "docker.io/" + tagPathHelp, rootfs: &net,
			hash:  func(ctx context.Context) (string, error) { return combine("local-path-helper", 1), nil },
			files: func(ctx context.Context) (map[string]fileEntry, error) { return nil, nil },
		},
	)
	return images
}

func (i innerImage) dockerTag() string {
	ver := i.ref[strings.LastIndex(i.ref, ":")+1:]
	return "peerlab/inner-" + i.name + ":" + ver
}

func (k *Kit) innerHash(ctx context.Context, i innerImage) (string, error) {
	return k.memo("inner:"+i.name, func() (string, error) {
		h, err := i.hash(ctx)
		if err != nil {
			return "", err
		}
		base := ""
		if i.rootfs != nil {
			if base, err = k.rootfsHash(*i.rootfs); err != nil {
				return "", err
			}
		}
		return combine(h, base, i.changes, i.ref), nil
	})
}

func (k *Kit) buildInner(ctx context.Context, i innerImage, hash string) (string, error) {
	files, err := i.files(ctx)
	if err != nil {
		return "", err
	}
	changes := append([]string{pathEnv, labelChange(hash)}, i.changes...)
	if i.rootfs == nil {
		return importLayer(ctx, scratchFiles(files), changes)
	}
	tarball, err := k.buildRootfs(ctx, *i.rootfs)
	if err != nil {
		return "", err
	}
	return importRootfsWith(ctx, tarball, files, changes)
}

// buildPause compiles Kubernetes' pause program from the C source shipped in
// the k8s.io/kubernetes module.
func (k *Kit) buildPause(ctx context.Context) (string, error) {
	final := filepath.Join(k.cacheDir, "bin", "pause-"+short(combine("pause", KubernetesVersion)))
	bin := filepath.Join(final, "pause")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	err := k.step("compile pause", func() error {
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return err
		}
		dir, err := ModuleDir(ctx, "k8s.io/kubernetes@"+KubernetesVersion)
		if err != nil {
			return err
		}
		tmp, err := os.MkdirTemp(filepath.Dir(final), ".tmp-pause-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		ver := pauseRef[strings.LastIndex(pauseRef, ":")+1:]
		if _, err := run(ctx, nil, nil, "", "gcc", "-Os", "-Wall", "-static", "-DVERSION=v"+ver+"-peerlab",
			"-o", filepath.Join(tmp, "pause"), filepath.Join(dir, "build", "pause", "linux", "pause.c")); err != nil {
			return fmt.Errorf("%w\nfix: install gcc and the static C library (apt-get install gcc libc6-dev)", err)
		}
		return replaceDir(tmp, final)
	})
	return bin, err
}

// --- node base ---------------------------------------------------------------

// kindFiles is the directory of node files kind ships in its module
// (entrypoint, systemd units, containerd config, kubelet drop-ins).
func kindFiles(ctx context.Context) (string, error) {
	dir, err := ModuleDir(ctx, "sigs.k8s.io/kind@"+KindVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "images", "base", "files"), nil
}

// nodeRootfs is the Debian root of a kind node. It follows kind's base image:
// systemd as init with only the units a node needs, kind's entrypoint and
// unit files, and the tools kubelet and kube-proxy call.
func nodeRootfs(files string) rootfs {
	return rootfs{
		Name:  "node",
		Suite: "bookworm",
		Packages: []string{"systemd", "conntrack", "iptables", "nftables", "iproute2", "ethtool", "util-linux",
			"mount", "kmod", "libseccomp2", "pigz", "bash", "ca-certificates", "curl", "jq", "procps", "e2fsprogs"},
		Files: map[string]string{"/": files},
		PostInstall: `chmod 0755 /usr/local/bin/* /kind /kind/bin /kind/bin/*
# A container boots systemd with nothing else to do: drop every unit the
# distribution enables by default, keep the kernel log out of the journal.
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
  /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/basic.target.wants/* \
  /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* \
  /lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service
echo ReadKMsg=no >> /etc/systemd/journald.conf
ln -sf /usr/lib/systemd/systemd /sbin/init
systemctl enable kubelet.service containerd.service undo-mount-hacks.service
# binfmt registrations are kernel-global: a node must not touch the host's.
systemctl mask systemd-binfmt.service
mkdir -p /etc/kubernetes/manifests /opt/cni/bin /etc/cni/net.d
`,
		Version: 1,
	}
}

func (k *Kit) nodeBaseHash(ctx context.Context) (string, error) {
	return k.memo("node-base", func() (string, error) {
		files, err := kindFiles(ctx)
		if err != nil {
			return "", err
		}
		r, err := k.rootfsHash(nodeRootfs(files))
		if err != nil {
			return "", err
		}
		var gs []string
		for _, b := range nodeRuntimeBuilds() {
			g, err := k.goHash(b)
			if err != nil {
				return "", err
			}
			gs = append(gs, g)
		}
		return combine("node-base", 3, r, gs, pauseRef, serviceRouteScript, bootRoutesScript, kubeletDropIn), nil
	})
}

func (k *Kit) buildNodeBase(ctx context.Context, hash string) (string, error) {
	files, err := kindFiles(ctx)
	if err != nil {
		return "", err
	}
	tarball, err := k.buildRootfs(ctx, nodeRootfs(files))
	if err != nil {
		return "", err
	}
	bins := map[string]string{}
	for _, b := range nodeRuntimeBuilds() {
		dir, err := k.buildGo(ctx, b)
		if err != nil {
			return "", err
		}
		for out := range b.Mains {
			bins[out] = filepath.Join(dir, out)
		}
	}
	extra := map[string]fileEntry{
		"/usr/local/bin/containerd":              {src: bins["containerd"], mode: 0o755},
		"/usr/local/bin/containerd-shim-runc-v2": {src: bins["containerd-shim-runc-v2"], mode: 0o755},
		"/usr/local/bin/ctr":                     {src: bins["ctr"], mode: 0o755},
		"/usr/local/bin/crictl":                  {src: bins["crictl"], mode: 0o755},
		"/usr/local/sbin/runc":                   {src: bins["runc"], mode: 0o755},
	}
	for _, p := range []string{"host-local", "loopback", "ptp", "portmap"} {
		extra["/opt/cni/bin/"+p] = fileEntry{src: bins[p], mode: 0o755}
	}
	extra["/kind/bin/peerlab-service-route.sh"] = fileEntry{content: serviceRouteScript, mode: 0o755}
	extra[bootRoutesPath] = fileEntry{content: bootRoutesScript, mode: 0o755}
	extra["/etc/systemd/system/kubelet.service.d/20-peerlab.conf"] = fileEntry{content: kubeletDropIn, mode: 0o644}
	config, err := containerdConfig(filepath.Join(files, "etc", "containerd", "config.toml"))
	if err != nil {
		return "", err
	}
	extra["/etc/containerd/config.toml"] = fileEntry{content: config, mode: 0o644}
	entrypoint, err := kindEntrypoint(filepath.Join(files, "usr", "local", "bin", "entrypoint"))
	if err != nil {
		return "", err
	}
	extra["/usr/local/bin/entrypoint"] = fileEntry{content: entrypoint, mode: 0o755}
	spec, err := criBaseSpec(ctx, bins["ctr"])
	if err != nil {
		return "", err
	}
	extra["/etc/containerd/cri-base.json"] = fileEntry{content: spec, mode: 0o644}
	id, err := importRootfsWith(ctx, tarball, extra, []string{pathEnv, "ENV container=docker"})
	if err != nil {
		return "", err
	}
	// docker import cannot set STOPSIGNAL; systemd exits on SIGRTMIN+3 and
	// re-executes itself on SIGTERM.
	return dockerfileBuild(ctx, fmt.Sprintf("FROM %s\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT [\"/usr/local/bin/entrypoint\", \"/sbin/init\"]\nLABEL %s=%s %s=1\n",
		id, LabelInputs, hash, LabelKit))
}

// containerdConfig adapts kind's containerd config: the sandbox image is the
// pause version kubeadm expects (so nothing is pulled), and oom_score_adj
// changes are restricted because a node container may not lower them.
func containerdConfig(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := string(b)
	for old, new := range map[string]string{
		"restrict_oom_score_adj = false": "restrict_oom_score_adj = true",
	} {
		if !strings.Contains(s, old) {
			return "", fmt.Errorf("kind's %s no longer contains %q: update the kit", path, old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	lines := strings.Split(s, "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "sandbox_image") {
			lines[i] = fmt.Sprintf("  sandbox_image = %q", pauseRef)
			found = true
		}
	}
	if !found {
		return "", fmt.Errorf("kind's %s has no sandbox_image: update the kit", path)
	}
	return strings.Join(lines, "\n"), nil
}

// hostDockerLookup is how kind's entrypoint looks for the Docker host at
// boot. Docker's embedded DNS does not know the name and forwards the query
// to the host's resolver: a DNS packet leaving the lab from every node at
// every boot. Without an answer the entrypoint uses the node's default
// gateway, which on a lab network is the Docker host anyway.
const hostDockerLookup = "getent ahostsv4 'host.docker.internal'"

// kindEntrypoint is kind's node entrypoint without the host.docker.internal
// lookup, and running peerlab-boot-routes.sh first.
func kindEntrypoint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := string(b)
	if !strings.Contains(s, hostDockerLookup) {
		return "", fmt.Errorf("kind's %s no longer contains %q: update the kit", path, hostDockerLookup)
	}
	s = strings.Replace(s, hostDockerLookup, "true not-looked-up host.docker.internal", 1)
	// The boot routes come first, before anything can forward a packet.
	shebang, rest, ok := strings.Cut(s, "\n")
	if !ok || !strings.HasPrefix(shebang, "#!") {
		return "", fmt.Errorf("kind's %s does not start with #!: update the kit", path)
	}
	return shebang + "\n" + bootRoutesPath + " || true\n" + rest, nil
}

// bootRoutesPath is where the node's boot-time routes script lives.
const bootRoutesPath = "/kind/bin/peerlab-boot-routes.sh"

// criBaseSpec is containerd's default OCI spec with kind's product-uuid hook
// and without rlimits, as kind's base image has it.
func criBaseSpec(ctx context.Context, ctr string) (string, error) {
	out, err := run(ctx, nil, nil, "", ctr, "oci", "spec")
	if err != nil {
		return "", err
	}
	var spec map[string]any
	if err := json.Unmarshal(out, &spec); err != nil {
		return "", fmt.Errorf("parse ctr oci spec: %w", err)
	}
	if proc, ok := spec["process"].(map[string]any); ok {
		delete(proc, "rlimits")
	}
	hooks, _ := spec["hooks"].(map[string]any)
	if hooks == nil {
		hooks = map[string]any{}
		spec["hooks"] = hooks
	}
	cc, _ := hooks["createContainer"].([]any)
	hooks["createContainer"] = append(cc, map[string]any{"path": "/kind/bin/mount-product-files.sh"})
	b, err := json.MarshalIndent(spec, "", "  ")
	return string(b), err
}

// --- node image --------------------------------------------------------------

// LabImages are the kit's images a lab runs inside its cluster: MetalLB,
// FRR for the speaker pods, the backend. The node image holds their offline
// builds under their own tags, so a lab on the offline kit loads nothing
// into its nodes at up (that load took 29-49 s of every lab-up). A lab that
// runs other references (upstream images in auto mode, or a topology's own
// nodeImage) still gets whatever its nodes lack loaded at up.
var LabImages = []Name{FRR, MetalLBController, MetalLBSpeaker, Backend}

func (k *Kit) nodeHash(ctx context.Context) (string, error) {
	return k.memo("node", func() (string, error) {
		base, err := k.nodeBaseHash(ctx)
		if err != nil {
			return "", err
		}
		kube, err := k.goHash(kubernetesBuild())
		if err != nil {
			return "", err
		}
		var inner []string
		for _, i := range k.innerImages() {
			h, err := k.innerHash(ctx, i)
			if err != nil {
				return "", err
			}
			inner = append(inner, h)
		}
		var lab []string
		recipes := k.recipes()
		for _, n := range LabImages {
			h, err := recipes[n].hash(ctx)
			if err != nil {
				return "", err
			}
			lab = append(lab, h)
		}
		return combine("node", 3, base, kube, inner, lab, defaultCNIManifest, defaultStorageManifest), nil
	})
}

func (k *Kit) buildNode(ctx context.Context, hash string) (string, error) {
	kube, err := k.buildGo(ctx, kubernetesBuild())
	if err != nil {
		return "", err
	}
	inner := k.innerImages()
	if err := checkKubeadmImages(ctx, filepath.Join(kube, "kubeadm"), inner); err != nil {
		return "", err
	}
	baseHash, err := k.nodeBaseHash(ctx)
	if err != nil {
		return "", err
	}
	if err := k.ensureTagged(ctx, tagNodeBase, baseHash, k.buildNodeBase); err != nil {
		return "", err
	}
	for _, i := range inner {
		h, err := k.innerHash(ctx, i)
		if err != nil {
			return "", err
		}
		if err := k.ensureTagged(ctx, i.dockerTag(), h, func(ctx context.Context, hash string) (string, error) {
			return k.buildInner(ctx, i, hash)
		}); err != nil {
			return "", err
		}
	}
	recipes := k.recipes()
	var lab []string
	for _, n := range LabImages {
		if err := k.ensureOffline(ctx, recipes[n]); err != nil {
			return "", fmt.Errorf("image %s for the node: %w", n, err)
		}
		lab = append(lab, recipes[n].tag)
	}
	var id string
	err = k.step("assemble node image", func() error {
		id, err = assembleNode(ctx, kube, inner, lab, hash)
		return err
	})
	return id, err
}

// checkKubeadmImages makes sure the node holds every image the built kubeadm
// will ask for, so a cluster never tries to pull.
func checkKubeadmImages(ctx context.Context, kubeadm string, inner []innerImage) error {
	out, err := run(ctx, nil, nil, "", kubeadm, "config", "images", "list", "--kubernetes-version", KubernetesVersion)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, i := range inner {
		have[i.ref] = true
	}
	var missing []string
	for _, ref := range strings.Fields(string(out)) {
		if !have[ref] {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kubeadm %s expects images the kit does not build: %s (update the refs in images/node.go)", KubernetesVersion, strings.Join(missing, ", "))
	}
	return nil
}

// buildContainerdRoot is containerd's root while the node image is
// assembled: a volume, since the overlayfs snapshotter refuses a root on
// overlayfs (the build container's own file system).
const buildContainerdRoot = "/peerlab-build/containerd"

// assembleNode puts the Kubernetes binaries, kind's version file and default
// manifests, every inner image and the lab's images (docker tags in lab)
// into a container of the node base, then commits it. Images go into
// containerd's k8s.io namespace pinned, inner ones under the names kubeadm
// and the manifests use, lab ones under their tags, so the cluster never
// pulls.
func assembleNode(ctx context.Context, kube string, inner []innerImage, lab []string, hash string) (string, error) {
	name := fmt.Sprintf("peerlab-node-build-%d", time.Now().UnixNano())
	// containerd's overlayfs snapshotter (which unpacks the lab images)
	// needs mounts, hence --privileged, and a root that is not itself on
	// overlayfs, hence the volume; the result is copied into the image's
	// /var/lib/containerd before the commit.
	if _, err := run(ctx, nil, nil, "", "docker", "run", "-d", "--name", name, "--label", LabelKit+"=build",
		"--privileged", "--mount", "type=volume,dst="+buildContainerdRoot,
		"--network", "none", "--entrypoint", "sleep", tagNodeBase, "infinity"); err != nil {
		return "", err
	}
	// The build container goes whatever happens, also on cancellation.
	defer run(context.Background(), nil, nil, "", "docker", "rm", "-f", "-v", name)
	exec := func(stdin io.Reader, args ...string) error {
		a := []string{"exec"}
		if stdin != nil {
			a = append(a, "-i")
		}
		a = append(append(a, name), args...)
		_, err := run(ctx, stdin, nil, "", "docker", a...)
		return err
	}
	for _, b := range []string{"kubeadm", "kubelet", "kubectl"} {
		if _, err := run(ctx, nil, nil, "", "docker", "cp", filepath.Join(kube, b), name+":/usr/bin/"+b); err != nil {
			return "", err
		}
	}
	tmp, err := os.MkdirTemp("", "peerlab-node-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for path, content := range map[string]string{
		"version":                        KubernetesVersion,
		"manifests/default-cni.yaml":     defaultCNIManifest,
		"manifests/default-storage.yaml": defaultStorageManifest,
	} {
		p := filepath.Join(tmp, "kind", path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	if _, err := run(ctx, nil, nil, "", "docker", "cp", filepath.Join(tmp, "kind")+"/.", name+":/kind/"); err != nil {
		return "", err
	}
	if err := exec(nil, "sh", "-c", "chown -R root:root /kind /usr/bin/kubeadm /usr/bin/kubelet /usr/bin/kubectl && nohup containerd --root "+buildContainerdRoot+" >/var/log/containerd-build.log 2>&1 &"); err != nil {
		return "", err
	}
	if err := wait.Until(ctx, 30*time.Second, 200*time.Millisecond, func(ctx context.Context) error {
		_, err := run(ctx, nil, nil, "", "docker", "exec", name, "ctr", "version")
		return err
	}); err != nil {
		return "", fmt.Errorf("containerd in the build container did not start: %w", err)
	}
	// One docker save of all inner images, streamed into containerd packed
	// (as kind's node images hold them: kubelet unpacks at boot), and one
	// of the lab's images, unpacked: a lab's speakers start when the whole
	// cluster is booting on a busy host, and unpacking FRR and the speaker
	// there took 13-17 s of every lab-up. Unpacked, they cost each node
	// about 450 MB more of /var.
	importImages := func(tags []string, unpack bool) error {
		archive := filepath.Join(tmp, "images.tar")
		defer os.Remove(archive)
		if _, err := run(ctx, nil, nil, "", "docker", append([]string{"save", "-o", archive}, tags...)...); err != nil {
			return err
		}
		f, err := os.Open(archive)
		if err != nil {
			return err
		}
		defer f.Close()
		args := []string{"ctr", "--namespace=k8s.io", "images", "import", "--label=io.cri-containerd.pinned=pinned", "--digests"}
		if unpack {
			args = append(args, "--snapshotter=overlayfs")
		} else {
			args = append(args, "--all-platforms", "--no-unpack")
		}
		return exec(f, append(args, "-")...)
	}
	var tags []string
	for _, i := range inner {
		tags = append(tags, i.dockerTag())
	}
	if err := importImages(tags, false); err != nil {
		return "", err
	}
	if err := importImages(lab, true); err != nil {
		return "", err
	}
	for _, i := range inner {
		imported := "docker.io/" + i.dockerTag()
		if err := exec(nil, "ctr", "--namespace=k8s.io", "images", "tag", "--force", imported, i.ref); err != nil {
			return "", err
		}
		if err := exec(nil, "ctr", "--namespace=k8s.io", "images", "rm", imported); err != nil {
			return "", err
		}
		if err := exec(nil, "ctr", "--namespace=k8s.io", "images", "label", i.ref, "io.cri-containerd.pinned=pinned"); err != nil {
			return "", err
		}
	}
	want := make([]string, 0, len(inner)+len(lab))
	for _, i := range inner {
		want = append(want, i.ref)
	}
	for _, t := range lab {
		ref := ContainerdRef(t)
		if err := exec(nil, "ctr", "--namespace=k8s.io", "images", "label", ref, "io.cri-containerd.pinned=pinned"); err != nil {
			return "", err
		}
		want = append(want, ref)
	}
	out, err := run(ctx, nil, nil, "", "docker", "exec", name, "ctr", "--namespace=k8s.io", "images", "ls", "-q")
	if err != nil {
		return "", err
	}
	got := strings.Fields(string(out))
	for _, ref := range want {
		if !slices.Contains(got, ref) {
			return "", fmt.Errorf("image %s missing in the node's containerd after import (have %v)", ref, got)
		}
	}
	// The build container's init is sleep, which reaps nothing: a stopped
	// containerd stays as a zombie, so wait for no live (non-Z) one.
	if err := exec(nil, "sh", "-c", "pkill -TERM -x containerd; for i in $(seq 1 100); do ps -o stat= -C containerd | grep -qv '^Z' || exit 0; sleep 0.1; done; exit 1"); err != nil {
		return "", fmt.Errorf("containerd in the build container did not stop: %w", err)
	}
	if err := exec(nil, "cp", "-a", buildContainerdRoot+"/.", "/var/lib/containerd/"); err != nil {
		return "", fmt.Errorf("copy containerd's root into the node image: %w", err)
	}
	out, err = run(ctx, nil, nil, "", "docker", "commit",
		"--change", `ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]`,
		"--change", `CMD []`,
		"--change", fmt.Sprintf("LABEL %s=%s %s=1", LabelInputs, hash, LabelKit),
		name)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
