package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
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
	ips, err := lab.ServiceIPs(ctx)
	if err != nil {
		return fmt.Errorf("service IPs: %w", err)
	}
	fmt.Printf("lab %s (%s), service IPs %v\n", lab.ID(), lab.Topology().Name, ips)
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
		for _, ip := range ips {
			prefix := netip.PrefixFrom(ip, ip.BitLen())
			fmt.Fprintf(w, "  ROUTE %s\tRIB: %s\tkernel: %s\n", prefix, ribHops(ctx, q, prefix), kernelHops(ctx, q, prefix))
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
