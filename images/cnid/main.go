// Command peerlab-cnid is the pod network of peerlab's node image (kind's own
// kindnetd cannot be built from the Go module proxy). It runs on every node
// as a host-network DaemonSet and keeps three things true:
//
//   - the node's CNI config uses the ptp plugin with host-local addresses
//     from the node's .spec.podCIDRs;
//   - the node has a route to every other node's pod CIDRs via that node's
//     InternalIP (all nodes share one L2 network in kind);
//   - pod traffic to destinations outside the cluster's pod subnets is
//     masqueraded to the node's address;
//   - the cluster's pod subnets, and the node's own pod CIDRs, are
//     unreachable except for other nodes' CIDRs and the node's live pods
//     (ptp gives each pod a host route): a packet for a pod that is gone,
//     e.g. one kube-proxy still DNATs to for a moment after the pod was
//     deleted, gets an ICMP error instead of following the default route
//     out of the lab (the egress guard counted exactly that);
//   - the routes the harness gives every node (written to labRoutesFile at
//     lab-up: the default route, on-link service subnets, the topology's
//     static routes) are in place. The kernel deletes a route through an
//     interface that goes down and never brings it back, so a link flap
//     would otherwise leave the node without its return path to clients
//     for good. They are checked every second and on every link change;
//   - every bfdd on the node (the speakers' FRR) runs at nice -10, so BFD's
//     timers hold when the lab loads the host's few cores (priority.go).
//
// It re-reads the node list every few seconds rather than watching: the
// lab's clusters have a handful of nodes, and a poll loop recovers by itself
// after a node container restarts (routes and rules vanish with its netns).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// routeProtocol marks the routes this daemon owns, so it can find and remove
// stale ones without touching anything else in the node's table.
const routeProtocol = netlink.RouteProtocol(118)

const (
	confName  = "10-peerlab.conflist"
	masqChain = "PEERLAB-CNID-MASQ"
)

type daemon struct {
	client       kubernetes.Interface
	nodeName     string
	podSubnets   []*net.IPNet
	confDir      string
	labRoutes    string // path of the harness's routes file
	lastConf     string
	lastSummary  string
	lastLabError string

	mu       sync.Mutex
	podRoute map[string]netlink.Route // from the last node list, reapplied locally

	// routesMu keeps the two loops (node list, local) from changing the
	// routing table at the same time with different views of it.
	routesMu sync.Mutex

	boosted map[int]bool // bfdd processes given bfdNice
}

func main() {
	subnets := flag.String("pod-subnets", "", "the cluster's pod subnets, comma-separated")
	confDir := flag.String("cni-conf-dir", "/etc/cni/net.d", "where the CNI config is written")
	interval := flag.Duration("interval", 3*time.Second, "how often nodes are re-read")
	labRoutes := flag.String("lab-routes", "/etc/peerlab/node-routes.json", "the routes the harness wants on every node (absent: none)")
	flag.Parse()

	d := &daemon{nodeName: os.Getenv("NODE_NAME"), confDir: *confDir, labRoutes: *labRoutes, boosted: map[int]bool{}}
	if d.nodeName == "" {
		log.Fatal("NODE_NAME is not set (the DaemonSet passes it from spec.nodeName)")
	}
	for _, s := range strings.Split(*subnets, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			log.Fatalf("--pod-subnets: %v", err)
		}
		d.podSubnets = append(d.podSubnets, n)
	}
	if len(d.podSubnets) == 0 {
		log.Fatal("--pod-subnets is empty")
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatalf("in-cluster config: %v", err)
	}
	// Talk to the API server directly: before kube-proxy has synced, the
	// ClusterIP is not translated and packets would leave the lab.
	if ep := os.Getenv("CONTROL_PLANE_ENDPOINT"); ep != "" {
		cfg.Host = "https://" + ep
	}
	cfg.Timeout = 10 * time.Second
	if d.client, err = kubernetes.NewForConfig(cfg); err != nil {
		log.Fatalf("client: %v", err)
	}
	// keep_addr_on_down: without it the kernel drops a link's IPv6
	// addresses when it goes down, and Docker's static ones never return.
	for _, f := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding", "/proc/sys/net/ipv6/conf/all/keep_addr_on_down"} {
		if err := os.WriteFile(f, []byte("1"), 0o644); err != nil {
			log.Printf("set %s: %v", f, err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Link changes wake the local reconcile at once, so routes come back
	// as soon as a link is up again rather than at the next tick.
	links := make(chan netlink.LinkUpdate, 16)
	if err := netlink.LinkSubscribe(links, ctx.Done()); err != nil {
		log.Printf("link updates: %v (routes are still checked every second)", err)
	}
	// The node list is read in a loop of its own: a read that hangs (the
	// node's link is down, the API server is far) must not hold back the
	// local routes, which the kernel took away with that very link. With
	// one loop, a link that came back waited 3.4 s for its routes, behind a
	// node list sent while it was down.
	go func() {
		resync := time.NewTicker(*interval)
		defer resync.Stop()
		for {
			if err := d.sync(ctx); err != nil {
				log.Printf("sync: %v", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-resync.C:
			}
		}
	}()
	local := time.NewTicker(time.Second)
	defer local.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-links:
		case <-local.C:
			d.boostBFD()
		}
		d.syncLocal()
	}
}

// syncLocal puts back what a link change can take away, without asking the
// API server: the pod routes of the last node list and the lab's routes.
func (d *daemon) syncLocal() {
	d.mu.Lock()
	want := d.podRoute
	d.mu.Unlock()
	d.routesMu.Lock()
	defer d.routesMu.Unlock()
	var errs []string
	if want != nil {
		if err := d.syncRoutes(want); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := d.syncLabRoutes(); err != nil {
		errs = append(errs, err.Error())
	}
	// A down link fails every second; say so once per change.
	if msg := strings.Join(errs, "; "); msg != d.lastLabError {
		if msg != "" {
			log.Printf("routes: %s", msg)
		} else {
			log.Printf("routes: all in place again")
		}
		d.lastLabError = msg
	}
}

func (d *daemon) sync(ctx context.Context) error {
	nodes, err := d.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	var errs []string
	want := map[string]netlink.Route{}
	// The whole pod subnet is unreachable unless a more specific route
	// (another node's CIDR, a live pod) says otherwise: a pod on a node
	// that just restarted can send before the routes to the other nodes
	// are back, and without this its packets took the default route out
	// of the lab (the egress guard counted them).
	for _, sn := range d.podSubnets {
		want[sn.String()] = netlink.Route{Dst: sn, Type: syscall.RTN_UNREACHABLE, Protocol: routeProtocol}
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if n.Name == d.nodeName {
			if err := d.writeConf(n.Spec.PodCIDRs); err != nil {
				errs = append(errs, err.Error())
			}
			for _, c := range n.Spec.PodCIDRs {
				if _, dst, err := net.ParseCIDR(c); err == nil {
					want[dst.String()] = netlink.Route{Dst: dst, Type: syscall.RTN_UNREACHABLE, Protocol: routeProtocol}
				}
			}
			continue
		}
		for _, c := range n.Spec.PodCIDRs {
			_, dst, err := net.ParseCIDR(c)
			if err != nil {
				continue
			}
			gw := nodeIP(n, dst.IP.To4() != nil)
			if gw == nil {
				errs = append(errs, fmt.Sprintf("node %s has no InternalIP for %s", n.Name, c))
				continue
			}
			want[dst.String()] = netlink.Route{Dst: dst, Gw: gw, Type: syscall.RTN_UNICAST, Protocol: routeProtocol}
		}
	}
	d.mu.Lock()
	d.podRoute = want
	d.mu.Unlock()
	d.routesMu.Lock()
	if err := d.syncRoutes(want); err != nil {
		errs = append(errs, err.Error())
	}
	if err := d.syncLabRoutes(); err != nil {
		errs = append(errs, err.Error())
	}
	d.routesMu.Unlock()
	if err := d.syncMasquerade(); err != nil {
		errs = append(errs, err.Error())
	}
	summary := fmt.Sprintf("%d routes to other nodes' pods", len(want))
	if summary != d.lastSummary {
		log.Print(summary)
		d.lastSummary = summary
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func nodeIP(n *corev1.Node, v4 bool) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip := net.ParseIP(a.Address)
		if ip != nil && (ip.To4() != nil) == v4 {
			return ip
		}
	}
	return nil
}

// writeConf writes the CNI config for this node's pod CIDRs, atomically,
// and only when it changes (the container runtime watches the directory).
func (d *daemon) writeConf(podCIDRs []string) error {
	if len(podCIDRs) == 0 {
		return fmt.Errorf("node %s has no podCIDR yet", d.nodeName)
	}
	var ranges [][]map[string]string
	var routes []map[string]string
	for _, c := range podCIDRs {
		ranges = append(ranges, []map[string]string{{"subnet": c}})
		if strings.Contains(c, ":") {
			routes = append(routes, map[string]string{"dst": "::/0"})
		} else {
			routes = append(routes, map[string]string{"dst": "0.0.0.0/0"})
		}
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "peerlab",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": ranges,
					"routes": routes,
					// Under /run, so allocations do not outlive a node restart.
					"dataDir": "/run/cni-ipam-state",
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(d.confDir, confName)
	if cur, err := os.ReadFile(path); err == nil && string(cur) == string(b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	log.Printf("wrote %s for pod CIDRs %v", path, podCIDRs)
	return nil
}

func (d *daemon) syncRoutes(want map[string]netlink.Route) error {
	var errs []string
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		have, err := netlink.RouteListFiltered(family, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		for _, r := range have {
			if r.Dst == nil {
				continue
			}
			if w, ok := want[r.Dst.String()]; !ok || !w.Gw.Equal(r.Gw) || w.Type != r.Type {
				if err := netlink.RouteDel(&r); err != nil {
					errs = append(errs, fmt.Sprintf("delete route %s: %v", r.Dst, err))
				}
			}
		}
	}
	for _, r := range want {
		r := r
		if err := netlink.RouteReplace(&r); err != nil {
			errs = append(errs, fmt.Sprintf("route %s via %s: %v", r.Dst, r.Gw, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// syncMasquerade keeps one nat chain per family: pod traffic to the pod
// subnets returns unchanged, everything else from pods is masqueraded.
func (d *daemon) syncMasquerade() error {
	for _, fam := range []struct {
		bin string
		v4  bool
	}{{"iptables", true}, {"ip6tables", false}} {
		var mine []*net.IPNet
		for _, s := range d.podSubnets {
			if (s.IP.To4() != nil) == fam.v4 {
				mine = append(mine, s)
			}
		}
		if len(mine) == 0 {
			continue
		}
		ipt := func(args ...string) error {
			out, err := exec.Command(fam.bin, append([]string{"-w", "5", "-t", "nat"}, args...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s %s: %v: %s", fam.bin, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
			}
			return nil
		}
		if ipt("-n", "-L", masqChain) != nil {
			if err := ipt("-N", masqChain); err != nil {
				return err
			}
		}
		for _, s := range mine {
			jump := []string{"POSTROUTING", "-s", s.String(), "-m", "comment", "--comment", "peerlab-cnid: masquerade pod traffic leaving the pod network", "-j", masqChain}
			if ipt(append([]string{"-C"}, jump...)...) != nil {
				if err := ipt(append([]string{"-A"}, jump...)...); err != nil {
					return err
				}
			}
		}
		rules := [][]string{}
		for _, s := range d.podSubnets {
			if (s.IP.To4() != nil) == fam.v4 {
				rules = append(rules, []string{"-d", s.String(), "-j", "RETURN"})
			}
		}
		rules = append(rules, []string{"-j", "MASQUERADE"})
		for _, r := range rules {
			if ipt(append([]string{"-C", masqChain}, r...)...) != nil {
				if err := ipt(append([]string{"-A", masqChain}, r...)...); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
