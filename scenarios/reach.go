package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// reply is the backend's answer (images/backend).
type reply struct {
	Pod    string `json:"pod"`
	Node   string `json:"node"`
	Client string `json:"client"`
}

// Curl sends n HTTP requests from a lab client or router to ip:port, each
// on a new connection (a new source port, so L4 ECMP hashing can pick a new
// path), and reports which nodes and pods answered.
func Curl(ctx context.Context, lab *harness.Lab, from string, ip netip.Addr, port, n int) (Spread, error) {
	s := Spread{ByNode: map[string]int{}, ByPod: map[string]int{}, Sources: map[string]int{}}
	e, err := lab.Exec(from)
	if err != nil {
		return s, err
	}
	url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(ip, uint16(port)))
	// One exec for all requests: a loop in the shell is much faster than n
	// docker execs, and curl's exit code is kept per line.
	script := fmt.Sprintf(`for i in $(seq %d); do out=$(curl -sS --connect-timeout 2 -m 3 %s 2>&1); echo "$? $out"; done`, n, url)
	stdout, stderr, err := e.Exec(ctx, []string{"sh", "-c", script})
	if err != nil {
		return s, fmt.Errorf("curl loop on %s: %v: %s", from, err, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(stdout)), "\n") {
		s.Requests++
		code, rest, _ := strings.Cut(line, " ")
		var r reply
		if c, _ := strconv.Atoi(code); c != 0 || json.Unmarshal([]byte(rest), &r) != nil || r.Node == "" {
			if len(s.Failures) < 5 {
				s.Failures = append(s.Failures, fmt.Sprintf("%s: curl exit %s: %s", url, code, rest))
			}
			continue
		}
		s.OK++
		s.ByNode[r.Node]++
		s.ByPod[r.Pod]++
		s.Sources[r.Client]++
	}
	return s, nil
}

// Reachable: from the client, n requests to each service IP all succeed, and
// when more than one node runs a backend, answers come from more than one
// node. The spread over all services is returned for reporting either way.
func Reachable(ctx context.Context, lab *harness.Lab, client string, n int) (Spread, error) {
	total := Spread{ByNode: map[string]int{}, ByPod: map[string]int{}, Sources: map[string]int{}}
	var errs []error
	for _, svc := range lab.Topology().Services {
		ips, err := lab.ServiceIPs(ctx, svc.Name)
		if err != nil {
			return total, err
		}
		if len(ips) == 0 {
			errs = append(errs, fmt.Errorf("service %s has no LoadBalancer IP", svc.Name))
			continue
		}
		withPods, err := lab.BackendNodes(ctx, svc.Name)
		if err != nil {
			return total, err
		}
		for _, ip := range ips {
			s, err := Curl(ctx, lab, client, ip, svc.Port, n)
			total.add(s)
			if err != nil {
				return total, err
			}
			if s.OK < s.Requests {
				errs = append(errs, fmt.Errorf("client %s to service %s (%s): %s; failures: %s", client, svc.Name, ip, s, strings.Join(s.Failures, "; ")))
				continue
			}
			if len(withPods) > 1 && len(s.ByNode) < 2 {
				errs = append(errs, fmt.Errorf("client %s to service %s (%s): %s; want answers from more than one of the %d nodes running a backend", client, svc.Name, ip, s, len(withPods)))
			}
		}
	}
	return total, errors.Join(errs...)
}

// ReachableEverywhere: every service address answers n requests out of n
// from every place that routes to it: each router whose expected routes
// cover the address, and each client behind such a router. With
// externalTrafficPolicy Local, the backend must see the client's own
// address.
func ReachableEverywhere(n int, opts ...ExpectOption) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		e, err := Expect(ctx, lab, opts...)
		if err != nil {
			return err
		}
		t := e.Plan.Topology
		// Every (service address, vantage) pair at once: each curl loop
		// runs in its own container.
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			errs []error
		)
		fail := func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}
		for _, svc := range t.Services {
			for _, ip := range e.Services[svc.Name].IPs {
				for _, from := range vantages(e, ip) {
					wg.Go(func() {
						s, err := Curl(ctx, lab, from.name, ip, svc.Port, n)
						switch {
						case err != nil:
							fail(err)
						case s.OK < s.Requests:
							fail(fmt.Errorf("%s to service %s (%s:%d): %s; failures: %s", from.name, svc.Name, ip, svc.Port, s, strings.Join(s.Failures, "; ")))
						case svc.ExternalTrafficPolicy == "Local" && from.addr.IsValid() && (len(s.Sources) != 1 || s.Sources[from.addr.String()] == 0):
							fail(fmt.Errorf("%s to service %s (%s, externalTrafficPolicy Local): the backends saw sources %v, want the client's own %s", from.name, svc.Name, ip, s.Sources, from.addr))
						}
					})
				}
			}
		}
		wg.Wait()
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return errors.Join(errs...)
	}
}

type vantage struct {
	name string
	addr netip.Addr // a client's address in the service's family (checked for ETP Local)
}

// vantages are the routers whose traffic to ip reaches a node (their
// kernel next hops are nodes, or routers that themselves reach one), and
// the clients behind them.
func vantages(e *Expectation, ip netip.Addr) []vantage {
	t := e.Plan.Topology
	if pool, ok := poolOf(t, ip); ok && t.MetalLB.L2Pool(pool.Name) {
		return l2Vantages(t, ip)
	}
	nodes := map[netip.Addr]bool{}
	for _, n := range e.Plan.Nodes {
		nodes[n.IPv4], nodes[n.IPv6] = true, true
	}
	owner := map[netip.Addr]string{}
	for _, r := range t.Routers {
		for _, a := range r.Interfaces {
			owner[a.IPv4], owner[a.IPv6] = r.Name, r.Name
		}
	}
	var reaches func(router string, depth int) bool
	reaches = func(router string, depth int) bool {
		if depth > 3 {
			return false
		}
		for _, rt := range e.Routers[router].Routes {
			if !rt.Prefix.Contains(ip) || len(rt.KernelNextHops) == 0 {
				continue
			}
			for _, k := range rt.KernelNextHops {
				if !nodes[k] && !reaches(owner[k], depth+1) {
					return false
				}
			}
			return true
		}
		return false
	}
	covered := map[string]bool{}
	var out []vantage
	for _, r := range t.Routers {
		if reaches(r.Name, 0) {
			covered[r.Name] = true
			out = append(out, vantage{name: r.Name})
		}
	}
	for _, c := range t.Clients {
		if covered[c.Via] {
			a := c.IPv4
			if ip.Is6() {
				a = c.IPv6
			}
			out = append(out, vantage{name: c.Name, addr: a})
		}
	}
	return out
}

// l2Vantages reach an L2 pool's address ip without any route: the routers
// and clients on the nodes' network ask for it themselves (ARP or NDP), and
// the clients behind such a router go through it.
func l2Vantages(t topologies.Topology, ip netip.Addr) []vantage {
	var out []vantage
	onNodes := map[string]bool{}
	for _, r := range t.Routers {
		if _, ok := r.Interface(t.Cluster.Network); ok {
			onNodes[r.Name] = true
			out = append(out, vantage{name: r.Name})
		}
	}
	for _, c := range t.Clients {
		if c.Network == t.Cluster.Network || onNodes[c.Via] {
			a := c.IPv4
			if ip.Is6() {
				a = c.IPv6
			}
			out = append(out, vantage{name: c.Name, addr: a})
		}
	}
	return out
}
