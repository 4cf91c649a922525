package harness

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"

	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/topologies"
)

// kindNetworkEnv is how kind's Go API is told which Docker network to put
// the nodes on: only through the process environment. kindNetworkMu
// serialises cluster creation so two labs in one process (parallel tests)
// never see each other's value. It is the package's only shared state, and
// it is a lock, not data.
const kindNetworkEnv = "KIND_EXPERIMENTAL_DOCKER_NETWORK"

var kindNetworkMu sync.Mutex

// Node is one cluster node as the lab sees it.
type Node struct {
	Name      string
	IPv4      netip.Addr // on the nodes' network
	IPv6      netip.Addr
	Announces bool // the node may announce service IPs (no exclusion label)
	short     string
}

// kindCluster is the lab's kind cluster and its clients.
type kindCluster struct {
	provider   *cluster.Provider
	name       string
	kubeconfig string // path of the external kubeconfig
	rest       *rest.Config
	client     kubernetes.Interface
}

// kindConfig renders the topology's cluster part as kind configuration.
// CoreDNS is left out of kubeadm's addons: the lab installs its own, without
// an upstream forward (see coredns.go).
func kindConfig(t topologies.Topology) *v1alpha4.Cluster {
	c := t.Cluster
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		KubeadmConfigPatches: []string{
			"kind: InitConfiguration\nskipPhases:\n- preflight\n- addon/coredns\n",
		},
	}
	// Each node carries its topology name as a label, so node selectors in
	// the topology (MetalLB peers, advertisements, backends) need no lab id.
	names := c.NodeNames()
	for i := 0; i < c.ControlPlanes; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.ControlPlaneRole, Labels: map[string]string{topologies.NodeLabel: names[i]}})
	}
	for i := 0; i < c.Workers; i++ {
		cfg.Nodes = append(cfg.Nodes, v1alpha4.Node{Role: v1alpha4.WorkerRole, Labels: map[string]string{topologies.NodeLabel: names[c.ControlPlanes+i]}})
	}
	join := func(s topologies.Subnets) string {
		var parts []string
		for _, p := range []netip.Prefix{s.IPv4, s.IPv6} {
			if p.IsValid() {
				parts = append(parts, p.String())
			}
		}
		return strings.Join(parts, ",")
	}
	switch c.IPFamily {
	case topologies.IPv6:
		cfg.Networking.IPFamily = v1alpha4.IPv6Family
	case topologies.DualStack:
		cfg.Networking.IPFamily = v1alpha4.DualStackFamily
	default:
		cfg.Networking.IPFamily = v1alpha4.IPv4Family
	}
	cfg.Networking.PodSubnet = join(c.PodSubnet)
	cfg.Networking.ServiceSubnet = join(c.ServiceSubnet)
	return cfg
}

// createCluster creates the kind cluster on the given Docker network. With
// waitReady it also waits, as `kind create cluster --wait` does, for every
// node to be Ready; a lab does not, since everything it applies next waits
// for what it needs anyway, and the nodes get Ready while it applies.
func createCluster(ctx context.Context, l *Lab, network, image string, waitReady bool) (*kindCluster, error) {
	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{mu: &l.outMu, out: l.out}))
	kc := &kindCluster{provider: provider, name: l.ClusterName(), kubeconfig: l.stateFile("kubeconfig")}
	var readyWait time.Duration
	if waitReady {
		readyWait = 3 * time.Minute
	}
	done := make(chan error, 1)
	go func() {
		kindNetworkMu.Lock()
		defer kindNetworkMu.Unlock()
		old, had := os.LookupEnv(kindNetworkEnv)
		os.Setenv(kindNetworkEnv, network)
		defer func() {
			if had {
				os.Setenv(kindNetworkEnv, old)
			} else {
				os.Unsetenv(kindNetworkEnv)
			}
		}()
		done <- provider.Create(kc.name,
			cluster.CreateWithV1Alpha4Config(kindConfig(l.topo)),
			cluster.CreateWithNodeImage(image),
			cluster.CreateWithWaitForReady(readyWait),
			cluster.CreateWithKubeconfigPath(kc.kubeconfig),
			cluster.CreateWithDisplayUsage(false),
			cluster.CreateWithDisplaySalutation(false),
		)
	}()
	// kind's Create takes no context. On cancellation its node containers
	// are removed as they appear, so Create fails at its next step instead
	// of finishing a cluster nobody wants (an interrupted up waited 24-45 s
	// for it); the lab's Down removes whatever is left once it returns.
	select {
	case err := <-done:
		if err != nil {
			return kc, fmt.Errorf("kind create cluster %s: %w", kc.name, err)
		}
	case <-ctx.Done():
		for {
			removeNodeContainers(kc.name)
			select {
			case <-done:
				return kc, ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return kc, kc.connect()
}

// removeNodeContainers force-removes the containers of a kind cluster
// (with their anonymous volumes), whatever state kind left them in.
func removeNodeContainers(cluster string) {
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster="+cluster).Output()
	if err != nil {
		return
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		exec.Command("docker", append([]string{"rm", "-f", "-v"}, ids...)...).Run()
	}
}

// connect builds the API clients from the cluster's kubeconfig.
func (kc *kindCluster) connect() error {
	raw, err := kc.provider.KubeConfig(kc.name, false)
	if err != nil {
		return fmt.Errorf("kubeconfig of %s: %w", kc.name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		return err
	}
	cfg.Timeout = 30 * time.Second
	kc.rest = cfg
	kc.client, err = kubernetes.NewForConfig(cfg)
	return err
}

// nodes returns the cluster's node containers, sorted by name.
func (kc *kindCluster) nodes() ([]nodes.Node, error) {
	ns, err := kc.provider.ListNodes(kc.name)
	if err != nil {
		return nil, err
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].String() < ns[j].String() })
	return ns, nil
}

// nodeInfo reads the nodes' addresses and announce eligibility from the API.
func (kc *kindCluster) nodeInfo(ctx context.Context) ([]Node, error) {
	list, err := kc.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []Node
	for _, n := range list.Items {
		node := Node{Name: n.Name, short: shortNodeName(kc.name, n.Name)}
		_, excluded := n.Labels["node.kubernetes.io/exclude-from-external-load-balancers"]
		node.Announces = !excluded
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil {
				if ip.Is4() {
					node.IPv4 = ip
				} else {
					node.IPv6 = ip
				}
			}
		}
		out = append(out, node)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// nodeExec runs a command on a node container.
func nodeExec(n nodes.Node, args ...string) error {
	var out strings.Builder
	cmd := n.Command(args[0], args[1:]...)
	cmd.SetStdout(&out)
	cmd.SetStderr(&out)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s on %s: %w: %s", strings.Join(args, " "), n.String(), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// addNodeRoutes installs the topology's static routes on every node (the
// path to router networks in multi-hop, the return path to clients).
func (kc *kindCluster) addNodeRoutes(routes []topologies.StaticRoute) error {
	ns, err := kc.nodes()
	if err != nil {
		return err
	}
	for _, n := range ns {
		for _, r := range routes {
			if err := nodeExec(n, "ip", "route", "replace", r.Prefix.String(), "via", r.Via.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// allowControlPlaneAnnounce removes kind's exclusion label so the control
// plane's speaker announces service IPs too.
func (kc *kindCluster) allowControlPlaneAnnounce(ctx context.Context) error {
	list, err := kc.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
	if err != nil {
		return err
	}
	for _, n := range list.Items {
		patch := []byte(`{"metadata":{"labels":{"node.kubernetes.io/exclude-from-external-load-balancers":null}}}`)
		if _, err := kc.client.CoreV1().Nodes().Patch(ctx, n.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// RestartNode restarts a node's container (a node reboot, as far as the
// cluster can tell) and puts the topology's node routes back, since they
// lived in the container's network namespace.
func (l *Lab) RestartNode(ctx context.Context, name string) error {
	if l.cluster == nil {
		return fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	ns, err := l.cluster.nodes()
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.String() != name {
			continue
		}
		timeout := 10
		if err := l.docker.ContainerRestart(ctx, name, container.StopOptions{Timeout: &timeout}); err != nil {
			return fmt.Errorf("restart node %s: %w", name, err)
		}
		// The routes need the container's network up; retry briefly.
		return wait.Until(ctx, 30*time.Second, 500*time.Millisecond, func(ctx context.Context) error {
			for _, r := range l.topo.Cluster.Routes {
				if err := nodeExec(n, "ip", "route", "replace", r.Prefix.String(), "via", r.Via.String()); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return fmt.Errorf("lab %s has no node %q", l.id, name)
}
