package harness

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/images/cnid/noderoutes"
	"github.com/peerlab/peerlab/topologies"
)

// nodeRoutes is what every node must keep, for the node image's pod network
// daemon to hold in place: the kernel deletes routes through a link that
// goes down and never restores them, so routes set once at lab-up would not
// survive the link faults the lab is there to measure.
//   - the default route via the nodes' network gateway, as Docker set it
//     (kubelet picks the node's address from it after a restart);
//   - an on-link route for each service subnet (see
//     images/files/peerlab-service-route.sh for why);
//   - an on-link route for each MetalLB pool outside the nodes' network:
//     a router may send to a service address before kube-proxy on that
//     node has its rules (MetalLB announces what its own watch saw), and
//     without a route of its own the packet took the node's default route
//     out of the lab (the egress guard counted a curl's two SYNs in a native
//     catalog run). On-link, it is dropped on the node for want of an ARP
//     or NDP answer; once kube-proxy has synced, NAT takes it before routing;
//   - the topology's static routes (cluster.routes).
func nodeRoutes(t topologies.Topology) (noderoutes.File, error) {
	n, ok := t.Network(t.Cluster.Network)
	if !ok {
		return noderoutes.File{}, fmt.Errorf("cluster.network %q is not among the networks", t.Cluster.Network)
	}
	var f noderoutes.File
	for _, p := range []netip.Prefix{n.IPv4, n.IPv6} {
		if !p.IsValid() {
			continue
		}
		f.Networks = append(f.Networks, p)
		def := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if p.Addr().Is6() {
			def = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		f.Routes = append(f.Routes, noderoutes.Route{Dst: def, Via: topologies.Gateway(p)})
	}
	for _, p := range []netip.Prefix{t.Cluster.ServiceSubnet.IPv4, t.Cluster.ServiceSubnet.IPv6} {
		if p.IsValid() {
			f.Routes = append(f.Routes, noderoutes.Route{Dst: p})
		}
	}
	pools, err := poolPrefixes(t, f.Networks)
	if err != nil {
		return noderoutes.File{}, err
	}
	for _, p := range pools {
		f.Routes = append(f.Routes, noderoutes.Route{Dst: p})
	}
	for _, r := range t.Cluster.Routes {
		f.Routes = append(f.Routes, noderoutes.Route{Dst: r.Prefix, Via: r.Via})
	}
	return f, nil
}

// poolPrefixes lists the prefixes of every MetalLB pool address outside
// the nodes' networks (an L2 pool is inside, and on-link already).
func poolPrefixes(t topologies.Topology, nodeNets []netip.Prefix) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, pool := range t.MetalLB.Pools {
		ranges, err := pool.Ranges()
		if err != nil {
			return nil, fmt.Errorf("pool %s: %w", pool.Name, err)
		}
		for _, r := range ranges {
			for _, p := range r.Prefixes() {
				inside := slices.ContainsFunc(nodeNets, func(n netip.Prefix) bool { return n.Contains(p.Addr()) })
				if !inside && !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

// installNodeRoutes writes the routes file on every node and installs the
// topology's static routes at once (the daemon may not run yet).
func (kc *kindCluster) installNodeRoutes(t topologies.Topology) error {
	f, err := nodeRoutes(t)
	if err != nil {
		return err
	}
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	ns, err := kc.nodes()
	if err != nil {
		return err
	}
	write := fmt.Sprintf("mkdir -p %[1]s && echo %[2]s | base64 -d > %[3]s.tmp && mv %[3]s.tmp %[3]s",
		path.Dir(noderoutes.Path), base64.StdEncoding.EncodeToString(b), noderoutes.Path)
	for _, n := range ns {
		if err := nodeExec(n, "sh", "-c", write); err != nil {
			return err
		}
	}
	return kc.addNodeRoutes(t.Cluster.Routes)
}

// nodeRouteScript is a shell script that puts every route of nodeRoutes in
// place through dev, most specific first, so that no moment exists in which
// the default route is back and the return path to the clients is not. Each
// line may fail alone (an IPv6 gateway not yet usable); the node's routes
// daemon retries every second.
func nodeRouteScript(t topologies.Topology, dev string) (string, error) {
	f, err := nodeRoutes(t)
	if err != nil {
		return "", err
	}
	var lines []string
	for i := len(f.Routes) - 1; i >= 0; i-- {
		r := f.Routes[i]
		line := "ip route replace " + r.Dst.String()
		if r.Dst.Addr().Is6() {
			line = "ip -6 route replace " + r.Dst.String()
		}
		if r.Via.IsValid() {
			line += " via " + r.Via.String()
		}
		lines = append(lines, line+" dev "+dev+" || true")
	}
	return strings.Join(lines, "; "), nil
}
