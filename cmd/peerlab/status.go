package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// labStatus is what status shows, also as JSON (-o json).
type labStatus struct {
	Lab      string          `json:"lab"`
	Topology string          `json:"topology"`
	Backend  string          `json:"backend"`
	Services []serviceStatus `json:"services"`
	// BackendSessions are the sessions as the backend's status resources
	// report them (frr-k8s's BGPSessionState); empty for other backends.
	BackendSessions []harness.SessionState `json:"backendSessions,omitempty"`
	// BackendNodes are the nodes' FRR as the backend reports it
	// (frr-k8s's FRRNodeState), without the running configuration.
	BackendNodes []backendNode  `json:"backendNodes,omitempty"`
	BackendError string         `json:"backendError,omitempty"`
	Routers      []routerStatus `json:"routers"`
	// EgressDrops counts what the guard dropped (non-zero: lab traffic
	// tried to leave the lab).
	EgressDrops map[string]uint64 `json:"egressDrops,omitempty"`
}

// backendNode is one node's FRR as the backend reports it.
type backendNode struct {
	Node       string `json:"node"`
	Conversion string `json:"conversion"`
	Reload     string `json:"reload"`
	// Neighbors counts the BGP neighbors of the configuration FRR runs.
	Neighbors int `json:"neighbors"`
}

type serviceStatus struct {
	Name    string       `json:"name"`
	Port    int          `json:"port"`
	IPs     []netip.Addr `json:"ips"`
	Pending string       `json:"pending,omitempty"`
	// L2Node is, for a service of an L2 pool, the node MetalLB's
	// ServiceL2Status names: the one answering ARP or NDP for its addresses.
	L2Node string `json:"l2Node,omitempty"`
}

type routerStatus struct {
	Name      string           `json:"name"`
	ASN       uint32           `json:"asn"`
	Error     string           `json:"error,omitempty"`
	Neighbors []neighborStatus `json:"neighbors"`
	BFDPeers  []bfdStatus      `json:"bfdPeers"`
	Routes    []routeStatus    `json:"routes"`
}

type neighborStatus struct {
	Address          netip.Addr `json:"address"`
	RemoteASN        uint32     `json:"remoteASN"`
	State            string     `json:"state"`
	UptimeSeconds    float64    `json:"uptimeSeconds"`
	PrefixesReceived int        `json:"prefixesReceived"`
	LastReset        string     `json:"lastReset,omitempty"`
}

type bfdStatus struct {
	Peer             netip.Addr `json:"peer"`
	Status           string     `json:"status"`
	ReceiveInterval  string     `json:"receiveInterval"`
	TransmitInterval string     `json:"transmitInterval"`
	DetectMultiplier int        `json:"detectMultiplier"`
	Multihop         bool       `json:"multihop"`
}

type routeStatus struct {
	Prefix     netip.Prefix `json:"prefix"`
	RIB        string       `json:"rib"`
	Kernel     string       `json:"kernel"`
	Attributes string       `json:"attributes,omitempty"`
}

// runStatus: peerlab status [--lab ID] [-o table|json] prints, per router,
// its BGP sessions, BFD peers and the service IPs' routes (RIB and kernel).
func runStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	output := fs.String("o", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("-o %s: want table or json", *output)
	}
	labID, err := pickLab(*id)
	if err != nil {
		return err
	}
	lab, err := harness.Attach(ctx, labID)
	if err != nil {
		return err
	}
	st := labStatus{Lab: lab.ID(), Topology: lab.Topology().Name, Backend: string(lab.Backend())}
	if states, ok, err := lab.SessionStates(ctx); ok {
		st.BackendSessions = states
		if err != nil {
			st.BackendError = err.Error()
		}
		slices.SortFunc(st.BackendSessions, func(a, b harness.SessionState) int {
			return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Peer, b.Peer))
		})
	}
	if states, ok, err := lab.NodeStates(ctx); ok {
		if err != nil {
			st.BackendError = strings.TrimPrefix(st.BackendError+"; "+err.Error(), "; ")
		}
		for _, s := range states {
			st.BackendNodes = append(st.BackendNodes, backendNode{Node: s.Node, Conversion: s.Conversion, Reload: s.Reload, Neighbors: len(scenarios.RunningNeighbors(s.RunningConfig))})
		}
		slices.SortFunc(st.BackendNodes, func(a, b backendNode) int { return cmp.Compare(a.Node, b.Node) })
	}
	var l2Owners map[string]string
	var l2Err error
	if len(lab.Topology().MetalLB.L2Advertisements) > 0 {
		// Shown on the service's line: during a takeover MetalLB briefly
		// has two statuses for a service, which is worth seeing, not a
		// reason to show nothing.
		l2Owners, l2Err = lab.L2Owners(ctx)
	}
	for _, s := range lab.Topology().Services {
		sips, err := lab.ServiceIPs(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		ss := serviceStatus{Name: s.Name, Port: s.Port, IPs: sips}
		if slices.ContainsFunc(sips, func(ip netip.Addr) bool {
			p, ok := lab.Topology().MetalLB.PoolOf(ip)
			return ok && lab.Topology().MetalLB.L2Pool(p.Name)
		}) {
			ss.L2Node = l2Owners[s.Name]
			switch {
			case l2Err != nil:
				ss.L2Node = "(" + l2Err.Error() + ")"
			case ss.L2Node == "":
				ss.L2Node = "(none yet)"
			}
		}
		if len(sips) == 0 {
			evs, _ := lab.ServiceEvents(ctx, s.Name)
			ss.Pending = "pending"
			if len(evs) > 0 {
				ss.Pending += ": " + evs[len(evs)-1]
			}
		}
		st.Services = append(st.Services, ss)
	}
	for _, r := range lab.Topology().Routers {
		e, err := lab.Exec(r.Name)
		if err != nil {
			return err
		}
		q := routers.NewQuerier(e)
		rs := routerStatus{Name: r.Name, ASN: r.ASN}
		var errs []string
		ns, err := q.Neighbors(ctx)
		if err != nil {
			errs = append(errs, "BGP: "+err.Error())
		}
		for _, n := range ns {
			rs.Neighbors = append(rs.Neighbors, neighborStatus{n.Address, n.RemoteASN, string(n.State), n.Uptime.Round(time.Second).Seconds(), n.PrefixesReceived(), n.LastReset})
		}
		peers, err := q.BFDPeers(ctx)
		if err != nil {
			errs = append(errs, "BFD: "+err.Error())
		}
		for _, p := range peers {
			rs.BFDPeers = append(rs.BFDPeers, bfdStatus{p.Peer, p.Status, p.ReceiveInterval.String(), p.TransmitInterval.String(), p.DetectMultiplier, p.Multihop})
		}
		// Every BGP route in the pools' space, with the attributes the
		// router received (what an advertisement change shows up as).
		for _, f := range []routers.IPFamily{routers.IPv4, routers.IPv6} {
			routes, err := q.BGPRoutes(ctx, f)
			if err != nil {
				errs = append(errs, "routes: "+err.Error())
				continue
			}
			for _, rt := range routes {
				if inPools(lab.Topology(), rt.Prefix) {
					rs.Routes = append(rs.Routes, routeStatus{rt.Prefix, ribHops(ctx, q, rt.Prefix), kernelHops(ctx, q, rt.Prefix), attributes(rt)})
				}
			}
		}
		rs.Error = strings.Join(errs, "; ")
		st.Routers = append(st.Routers, rs)
	}
	if v4, v6, err := lab.EgressDrops(ctx); err == nil {
		st.EgressDrops = map[string]uint64{"ipv4": v4, "ipv6": v6}
	}
	if *output == "json" {
		b, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
		return nil
	}
	printLabStatus(st)
	return nil
}

func printLabStatus(st labStatus) {
	fmt.Printf("lab %s (%s, MetalLB backend %s)\n", st.Lab, st.Topology, st.Backend)
	for _, s := range st.Services {
		state := fmt.Sprint(s.IPs)
		if s.Pending != "" {
			state = s.Pending
		}
		if s.L2Node != "" {
			state += "  L2, answered by " + s.L2Node
		}
		fmt.Printf("  service %s:%d  %s\n", s.Name, s.Port, state)
	}
	if len(st.BackendSessions) > 0 || st.BackendError != "" {
		fmt.Printf("\n%s sessions (BGPSessionState)\n", st.Backend)
		if st.BackendError != "" {
			fmt.Printf("  %s\n", st.BackendError)
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  NODE\tPEER\tBGP\tBFD")
		for _, s := range st.BackendSessions {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", s.Node, s.Peer, s.BGP, s.BFD)
		}
		w.Flush()
	}
	if len(st.BackendNodes) > 0 {
		fmt.Printf("\n%s nodes (FRRNodeState)\n", st.Backend)
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  NODE\tCONVERSION\tRELOAD\tNEIGHBORS")
		for _, n := range st.BackendNodes {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%d\n", n.Node, n.Conversion, n.Reload, n.Neighbors)
		}
		w.Flush()
	}
	for _, r := range st.Routers {
		fmt.Printf("\nrouter %s (AS %d)\n", r.Name, r.ASN)
		if r.Error != "" {
			fmt.Printf("  %s\n", r.Error)
		}
		// Each table is aligned on its own (an IPv6 route line would widen
		// the neighbor table's columns).
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  NEIGHBOR\tAS\tSTATE\tUP\tPFX RCVD\tLAST RESET")
		for _, n := range r.Neighbors {
			fmt.Fprintf(w, "  %s\t%d\t%s\t%s\t%d\t%s\n", n.Address, n.RemoteASN, n.State, time.Duration(n.UptimeSeconds)*time.Second, n.PrefixesReceived, n.LastReset)
		}
		w.Flush()
		if len(r.BFDPeers) > 0 {
			fmt.Fprintln(w, "  BFD PEER\tSTATUS\tRX/TX\tMULT\tMULTIHOP")
			for _, p := range r.BFDPeers {
				fmt.Fprintf(w, "  %s\t%s\t%s/%s\t%d\t%v\n", p.Peer, p.Status, p.ReceiveInterval, p.TransmitInterval, p.DetectMultiplier, p.Multihop)
			}
			w.Flush()
		}
		for _, rt := range r.Routes {
			fmt.Fprintf(w, "  ROUTE %s\tRIB: %s\tkernel: %s\t%s\n", rt.Prefix, rt.RIB, rt.Kernel, rt.Attributes)
		}
		w.Flush()
	}
	if st.EgressDrops != nil {
		fmt.Printf("\negress guard: %d IPv4 and %d IPv6 packets dropped (non-zero: lab traffic tried to leave)\n", st.EgressDrops["ipv4"], st.EgressDrops["ipv6"])
	}
}

func ribHops(ctx context.Context, q *routers.Querier, p netip.Prefix) string {
	rs, err := q.Route(ctx, p)
	if err != nil {
		return err.Error()
	}
	for _, r := range rs {
		if r.Selected {
			return fmt.Sprint(r.Gateways())
		}
	}
	return "none"
}

func kernelHops(ctx context.Context, q *routers.Querier, p netip.Prefix) string {
	rs, err := q.KernelRoute(ctx, p)
	if err != nil {
		return err.Error()
	}
	var hops []string
	for _, r := range rs {
		for _, g := range r.Gateways() {
			hops = append(hops, g.String())
		}
	}
	if len(hops) == 0 {
		return "none"
	}
	return fmt.Sprint(hops)
}

// inPools: does the prefix lie in one of the topology's pools?
func inPools(t topologies.Topology, p netip.Prefix) bool {
	r := topologies.PrefixRange(p)
	for _, pool := range t.MetalLB.Pools {
		rs, _ := pool.Ranges()
		for _, pr := range rs {
			if pr.Overlaps(r) {
				return true
			}
		}
	}
	return false
}

// attributes shows a route's communities and local preference, as the
// first valid path carries them.
func attributes(r routers.BGPRoute) string {
	for _, p := range r.Paths {
		if !p.Valid {
			continue
		}
		var parts []string
		if len(p.Communities) > 0 {
			parts = append(parts, "communities "+strings.Join(p.Communities, " "))
		}
		if len(p.LargeCommunities) > 0 {
			parts = append(parts, "large "+strings.Join(p.LargeCommunities, " "))
		}
		if p.HasLocalPref {
			parts = append(parts, fmt.Sprintf("localPref %d", p.LocalPref))
		}
		return strings.Join(parts, ", ")
	}
	return ""
}
