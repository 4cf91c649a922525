package scenarios

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// L2Fact is who answers for one service IP in L2 mode.
type L2Fact struct {
	Service string
	IP      netip.Addr
	// Owner is the node MetalLB's ServiceL2Status names (Kubernetes name).
	Owner string
	// Answers are, by neighbor on the nodes' network, the MACs that
	// answered its request (ARP for IPv4, NDP for IPv6).
	Answers map[string][]string
}

// l2Neighbor is a router or client on the nodes' network, with its
// addresses there: where requests for an L2 pool's addresses come from.
type l2Neighbor struct {
	name       string
	ipv4, ipv6 netip.Addr
}

// addr is the neighbor's address in ip's family (invalid if it has none).
func (n l2Neighbor) addr(ip netip.Addr) netip.Addr {
	if ip.Is6() {
		return n.ipv6
	}
	return n.ipv4
}

func l2Neighbors(t topologies.Topology) []l2Neighbor {
	var out []l2Neighbor
	for _, r := range t.Routers {
		if a, ok := r.Interface(t.Cluster.Network); ok {
			out = append(out, l2Neighbor{r.Name, a.IPv4, a.IPv6})
		}
	}
	for _, c := range t.Clients {
		if c.Network == t.Cluster.Network {
			out = append(out, l2Neighbor{c.Name, c.IPv4, c.IPv6})
		}
	}
	return out
}

// L2Facts reads, for every service IP in an L2 pool, the owner MetalLB
// names and the answers every neighbor on the nodes' network with an
// address of that family gets (ARP or NDP).
func L2Facts(ctx context.Context, lab *harness.Lab) ([]L2Fact, error) {
	t := lab.Topology()
	owners, err := lab.L2Owners(ctx)
	if err != nil {
		return nil, err
	}
	neighbors := l2Neighbors(t)
	var facts []L2Fact
	for _, s := range t.Services {
		ips, err := lab.ServiceIPs(ctx, s.Name)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		for _, ip := range ips {
			if pool, ok := poolOf(t, ip); !ok || !t.MetalLB.L2Pool(pool.Name) {
				continue
			}
			facts = append(facts, L2Fact{Service: s.Name, IP: ip, Owner: owners[s.Name], Answers: map[string][]string{}})
		}
	}
	// Every (address, neighbor) probe at once: each waits a second for
	// answers in its own container.
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for i := range facts {
		for _, n := range neighbors {
			src := n.addr(facts[i].IP)
			if !src.IsValid() {
				continue
			}
			wg.Go(func() {
				macs, err := lab.L2Answers(ctx, n.name, src, facts[i].IP)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				facts[i].Answers[n.name] = macs
			})
		}
	}
	wg.Wait()
	return facts, errors.Join(errs...)
}

// L2Announced is the L2 mode check: for every service IP of an L2 pool,
// MetalLB's ServiceL2Status names a node that the pool's L2 advertisements
// allow, and every neighbor on the nodes' network that asks who has the
// address (ARP for IPv4, NDP for IPv6) gets exactly one answer, with that
// node's MAC. Labs without L2 advertisements pass.
func L2Announced(ctx context.Context, lab *harness.Lab) error {
	t := lab.Topology()
	if len(t.MetalLB.L2Advertisements) == 0 {
		return nil
	}
	p, err := lab.Plan(ctx)
	if err != nil {
		return err
	}
	macs, err := lab.NodeMACs(ctx)
	if err != nil {
		return err
	}
	facts, err := L2Facts(ctx, lab)
	if err != nil {
		return err
	}
	if len(facts) == 0 {
		return errors.New("L2 mode: no service has an address from an L2 pool")
	}
	nodeOf := map[string]string{}
	for n, m := range macs {
		nodeOf[m] = n
	}
	name := func(mac string) string {
		if n, ok := nodeOf[mac]; ok {
			return n + " (" + mac + ")"
		}
		return mac + " (not a node)"
	}
	var errs []error
	for _, f := range facts {
		what := fmt.Sprintf("service %s (%s, L2, %s)", f.Service, f.IP, harness.L2Protocol(f.IP))
		if f.Owner == "" {
			errs = append(errs, fmt.Errorf("%s: no ServiceL2Status names a node", what))
			continue
		}
		if why := l2NotAllowed(t, p, f); why != "" {
			errs = append(errs, fmt.Errorf("%s: MetalLB names %s, %s", what, f.Owner, why))
		}
		want, ok := macs[f.Owner]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: MetalLB names %s, which is not a node of the lab", what, f.Owner))
			continue
		}
		if len(f.Answers) == 0 {
			errs = append(errs, fmt.Errorf("%s: no router or client on the nodes' network %s has an %s address to ask from", what, t.Cluster.Network, topologies.FamilyOf(f.IP)))
		}
		for _, n := range slices.Sorted(maps.Keys(f.Answers)) {
			got := f.Answers[n]
			switch {
			case len(got) == 0:
				errs = append(errs, fmt.Errorf("%s: %s asked who has it: no answer, want one from %s", what, n, name(want)))
			case len(got) > 1:
				var names []string
				for _, m := range got {
					names = append(names, name(m))
				}
				errs = append(errs, fmt.Errorf("%s: %s asked who has it: %d answers (%s), want exactly one, from %s", what, n, len(got), strings.Join(names, ", "), name(want)))
			case got[0] != want:
				errs = append(errs, fmt.Errorf("%s: %s asked who has it: answered by %s, but MetalLB's ServiceL2Status names %s", what, n, name(got[0]), name(want)))
			}
		}
	}
	return errors.Join(errs...)
}

// l2NotAllowed says why the owner may not answer for the address ("" if it
// may): it is not an announcing node, or no L2 advertisement of the pool
// selects it.
func l2NotAllowed(t topologies.Topology, p *harness.Plan, f L2Fact) string {
	var short string
	var announces bool
	for _, n := range p.Nodes {
		if n.Name == f.Owner {
			short, announces = n.Short(), n.Announces
		}
	}
	if short == "" {
		return "which is not a node of the lab"
	}
	if !announces {
		return "which is excluded from announcing (node.kubernetes.io/exclude-from-external-load-balancers)"
	}
	pool, _ := poolOf(t, f.IP)
	var allowed []string
	for _, a := range t.MetalLB.L2Advertisements {
		if !slices.Contains(a.Pools, pool.Name) {
			continue
		}
		if len(a.Nodes) == 0 || slices.Contains(a.Nodes, short) {
			return ""
		}
		allowed = append(allowed, a.Nodes...)
	}
	return fmt.Sprintf("but the L2 advertisements of pool %s select only %s", pool.Name, strings.Join(allowed, ", "))
}
