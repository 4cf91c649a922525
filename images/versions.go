package images

import (
	"fmt"
	"strings"
)

// Versions of everything the offline kit builds. Kubernetes stays on 1.34:
// 1.35+ refuse cgroup v1 hosts by default. MetalLB v0.16.2 does not build
// from the module proxy (a dependency is missing), so v0.16.1.
const (
	KubernetesVersion = "v1.34.10"
	kubeStagingVer    = "v0.34.10"
	etcdVersion       = "v3.6.5"
	corednsVersion    = "v1.12.1"
	containerdVersion = "v2.3.4"
	runcVersion       = "v1.4.3"
	crictlVersion     = "v1.36.0"
	cniPluginsVersion = "v1.9.1"
	localPathVersion  = "v0.0.30"
	MetalLBVersion    = "v0.16.1"
	// FRRK8sVersion is the frr-k8s MetalLB v0.16.1 requires and its
	// frr-k8s manifest names.
	FRRK8sVersion = "v0.0.25"
	KindVersion   = "v0.33.0"
)

// kubeStaging lists the staging modules k8s.io/kubernetes replaces with its
// own directories; a build module must pin each to the matching release.
var kubeStaging = []string{
	"api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
	"cloud-provider", "cluster-bootstrap", "code-generator", "component-base", "component-helpers",
	"controller-manager", "cri-api", "cri-client", "csi-translation-lib", "dynamic-resource-allocation",
	"endpointslice", "externaljwt", "kms", "kube-aggregator", "kube-controller-manager", "kube-proxy",
	"kube-scheduler", "kubectl", "kubelet", "metrics", "mount-utils", "pod-security-admission",
}

func kubernetesBuild() goBuild {
	var replace []string
	for _, m := range kubeStaging {
		replace = append(replace, fmt.Sprintf("k8s.io/%s => k8s.io/%s %s", m, m, kubeStagingVer))
	}
	parts := strings.Split(strings.TrimPrefix(KubernetesVersion, "v"), ".")
	var ld []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ld = append(ld,
			"-X "+pkg+".gitVersion="+KubernetesVersion,
			"-X "+pkg+".gitMajor="+parts[0],
			"-X "+pkg+".gitMinor="+parts[1],
			"-X "+pkg+".gitTreeState=clean",
			// A fixed date keeps the binaries reproducible.
			"-X "+pkg+".buildDate=2026-01-01T00:00:00Z")
	}
	mains := map[string]string{}
	for _, c := range []string{"kubelet", "kubeadm", "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		mains[c] = "k8s.io/kubernetes/cmd/" + c
	}
	return goBuild{
		Name:    "kubernetes",
		Require: []string{"k8s.io/kubernetes " + KubernetesVersion},
		Replace: replace,
		Mains:   mains,
		Tags:    []string{"selinux", "notest", "grpcnotrace"},
		LDFlags: "-s -w " + strings.Join(ld, " "),
	}
}

func etcdBuild() goBuild {
	return goBuild{
		Name: "etcd",
		Require: []string{
			"go.etcd.io/etcd/server/v3 " + etcdVersion,
			"go.etcd.io/etcd/etcdctl/v3 " + etcdVersion,
			"go.etcd.io/etcd/etcdutl/v3 " + etcdVersion,
		},
		Mains: map[string]string{
			"etcd":    "go.etcd.io/etcd/server/v3",
			"etcdctl": "go.etcd.io/etcd/etcdctl/v3",
			"etcdutl": "go.etcd.io/etcd/etcdutl/v3",
		},
		LDFlags: "-s -w",
	}
}

func corednsBuild() goBuild {
	return goBuild{
		Name:    "coredns",
		Require: []string{"github.com/coredns/coredns " + corednsVersion},
		Mains:   map[string]string{"coredns": "github.com/coredns/coredns"},
		LDFlags: "-s -w",
	}
}

// nodeRuntimeBuild is the container runtime of the node image. runc needs
// cgo for seccomp; it is linked statically so it runs on any root.
func nodeRuntimeBuilds() []goBuild {
	return []goBuild{
		{
			Name:    "containerd",
			Require: []string{"github.com/containerd/containerd/v2 " + containerdVersion},
			Mains: map[string]string{
				"containerd":              "github.com/containerd/containerd/v2/cmd/containerd",
				"containerd-shim-runc-v2": "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2",
				"ctr":                     "github.com/containerd/containerd/v2/cmd/ctr",
			},
			Tags:    []string{"no_aufs", "no_zfs", "no_btrfs", "no_devmapper"},
			LDFlags: "-s -w -X github.com/containerd/containerd/v2/version.Version=" + containerdVersion,
		},
		{
			Name:    "runc",
			Require: []string{"github.com/opencontainers/runc " + runcVersion},
			Mains:   map[string]string{"runc": "github.com/opencontainers/runc"},
			Tags:    []string{"seccomp", "netgo", "osusergo", "urfave_cli_no_docs"},
			CGO:     true,
			LDFlags: "-s -w -X main.version=" + strings.TrimPrefix(runcVersion, "v") + " -linkmode external -extldflags -static",
		},
		{
			Name:    "crictl",
			Require: []string{"sigs.k8s.io/cri-tools " + crictlVersion},
			Mains:   map[string]string{"crictl": "sigs.k8s.io/cri-tools/cmd/crictl"},
			LDFlags: "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=" + crictlVersion,
		},
		{
			Name:    "cni-plugins",
			Require: []string{"github.com/containernetworking/plugins " + cniPluginsVersion},
			Mains: map[string]string{
				"host-local": "github.com/containernetworking/plugins/plugins/ipam/host-local",
				"loopback":   "github.com/containernetworking/plugins/plugins/main/loopback",
				"ptp":        "github.com/containernetworking/plugins/plugins/main/ptp",
				"portmap":    "github.com/containernetworking/plugins/plugins/meta/portmap",
			},
			LDFlags: "-s -w",
		},
	}
}

func localPathBuild() goBuild {
	return goBuild{
		Name:    "local-path-provisioner",
		Require: []string{"github.com/rancher/local-path-provisioner " + localPathVersion},
		Mains:   map[string]string{"local-path-provisioner": "github.com/rancher/local-path-provisioner"},
		LDFlags: "-s -w",
	}
}

func metallbBuild() goBuild {
	return goBuild{
		Name:    "metallb",
		Require: []string{"go.universe.tf/metallb " + MetalLBVersion},
		Mains: map[string]string{
			"controller":  "go.universe.tf/metallb/controller",
			"speaker":     "go.universe.tf/metallb/speaker",
			"frr-metrics": "go.universe.tf/metallb/frr-tools/metrics",
			"cp-tool":     "go.universe.tf/metallb/frr-tools/cp-tool",
		},
		LDFlags: "-s -w",
	}
}

// frrK8sBuild is the frr-k8s daemon and its helpers. The module is not
// installable with go install (the proxy refuses it), but builds as a
// requirement of a build module.
func frrK8sBuild() goBuild {
	const mod = "github.com/metallb/frr-k8s"
	return goBuild{
		Name:    "frr-k8s",
		Require: []string{mod + " " + FRRK8sVersion},
		Mains: map[string]string{
			"frr-k8s":       mod + "/cmd/frr-k8s-controller",
			"statuscleaner": mod + "/cmd/statuscleaner",
			"frr-metrics":   mod + "/cmd/metrics",
			"frr-status":    mod + "/cmd/status",
		},
		LDFlags: "-s -w -X " + mod + "/internal/version.gitCommit=" + FRRK8sVersion + " -X " + mod + "/internal/version.gitBranch=" + FRRK8sVersion,
	}
}

// ownBuild builds peerlab's own programs from this checkout.
func ownBuild() goBuild {
	return goBuild{
		Name: "peerlab",
		Mains: map[string]string{
			"backend":      "github.com/peerlab/peerlab/images/backend",
			"peerlab-cnid": "github.com/peerlab/peerlab/images/cnid",
		},
		LDFlags: "-s -w",
		own:     true,
	}
}
