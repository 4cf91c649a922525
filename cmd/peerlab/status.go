package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// runStatus: peerlab status [--lab ID] prints, per router, its BGP sessions,
// BFD peers and the service IPs' routes (RIB and kernel).
func runStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	labID, err := pickLab(*id)
	if err != nil {
		return err
	}
	lab, err := harness.Attach(ctx, labID)
	if err != nil {
		return err
	}
	var ips []netip.Addr
	fmt.Printf("lab %s (%s)\n", lab.ID(), lab.Topology().Name)
	for _, s := range lab.Topology().Services {
		sips, err := lab.ServiceIPs(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
		state := fmt.Sprint(sips)
		if len(sips) == 0 {
			evs, _ := lab.ServiceEvents(ctx, s.Name)
			state = "pending"
			if len(evs) > 0 {
				state += ": " + evs[len(evs)-1]
			}
		}
		fmt.Printf("  service %s:%d  %s\n", s.Name, s.Port, state)
		ips = append(ips, sips...)
	}
	for _, r := range lab.Topology().Routers {
		e, err := lab.Exec(r.Name)
		if err != nil {
			return err
		}
		q := routers.NewQuerier(e)
		fmt.Printf("\nrouter %s (AS %d)\n", r.Name, r.ASN)
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		ns, err := q.Neighbors(ctx)
		if err != nil {
			fmt.Fprintf(w, "  BGP: %v\n", err)
		} else {
			fmt.Fprintln(w, "  NEIGHBOR\tAS\tSTATE\tUP\tPFX RCVD\tLAST RESET")
			for _, n := range ns {
				fmt.Fprintf(w, "  %s\t%d\t%s\t%s\t%d\t%s\n", n.Address, n.RemoteASN, n.State, n.Uptime.Round(time.Second), n.PrefixesReceived(), n.LastReset)
			}
		}
		peers, err := q.BFDPeers(ctx)
		if err != nil {
			fmt.Fprintf(w, "  BFD: %v\n", err)
		} else if len(peers) > 0 {
			fmt.Fprintln(w, "  BFD PEER\tSTATUS\tRX/TX\tMULT\tMULTIHOP")
			for _, p := range peers {
				fmt.Fprintf(w, "  %s\t%s\t%s/%s\t%d\t%v\n", p.Peer, p.Status, p.ReceiveInterval, p.TransmitInterval, p.DetectMultiplier, p.Multihop)
			}
		}
		// Every BGP route in the pools' space, with the attributes the
		// router received (what an advertisement change shows up as).
		for _, f := range []routers.IPFamily{routers.IPv4, routers.IPv6} {
			rs, err := q.BGPRoutes(ctx, f)
			if err != nil {
				fmt.Fprintf(w, "  ROUTES: %v\n", err)
				continue
			}
			for _, rt := range rs {
				if !inPools(lab.Topology(), rt.Prefix) {
					continue
				}
				fmt.Fprintf(w, "  ROUTE %s\tRIB: %s\tkernel: %s\t%s\n", rt.Prefix, ribHops(ctx, q, rt.Prefix), kernelHops(ctx, q, rt.Prefix), attributes(rt))
			}
		}
		w.Flush()
	}
	if v4, v6, err := lab.EgressDrops(ctx); err == nil {
		fmt.Printf("\negress guard: %d IPv4 and %d IPv6 packets dropped (non-zero: lab traffic tried to leave)\n", v4, v6)
	}
	return nil
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
