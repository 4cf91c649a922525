package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/internal/graph"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// runGraph: peerlab graph [--lab ID | --topology NAME | -f FILE] [-o mermaid|dot|json]
// draws a lab: networks, routers, nodes, clients and the BGP sessions,
// with their live state when the lab is up.
func runGraph(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	name := fs.String("topology", "", "draw a builtin topology instead of a running lab: "+strings.Join(topologies.Names(), ", "))
	file := fs.String("f", "", "draw a topology file instead of a running lab (no Docker needed)")
	familyFlag(fs)
	output := fs.String("o", "mermaid", "mermaid, dot or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab graph [--lab ID | --topology NAME | -f FILE] [-o mermaid|dot|json]\n\n"+
			"Draws the lab: networks, routers, cluster nodes, clients, and every BGP\n"+
			"session, with its state (green: Established) when drawn from a running lab.\n"+
			"Render with a Mermaid viewer, or: peerlab graph -o dot | dot -Tsvg > lab.svg\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if !slices.Contains([]string{"mermaid", "dot", "json"}, *output) {
		return fmt.Errorf("-o %s: want mermaid, dot or json", *output)
	}
	var g graph.Graph
	if *name != "" || *file != "" {
		if *id != "" {
			return fmt.Errorf("give --lab, or --topology/-f, not both")
		}
		p, err := loadPrepared(*name, *file, fs)
		if err != nil {
			return err
		}
		g = graph.Build(p, nil)
	} else {
		lab, err := attachLab(ctx, *id)
		if err != nil {
			return err
		}
		plan, err := lab.Plan(ctx)
		if err != nil {
			return err
		}
		// Who is at each address, per router: nodes by their sessions,
		// routers by their interfaces.
		t := lab.Topology()
		routerAt := map[netip.Addr]string{}
		for _, r := range t.Routers {
			for _, a := range r.Interfaces {
				routerAt[a.IPv4], routerAt[a.IPv6] = r.Name, r.Name
			}
		}
		states := map[graph.SessionKey]string{}
		for _, r := range t.Routers {
			e, err := lab.Exec(r.Name)
			if err != nil {
				return err
			}
			ns, err := routers.NewQuerier(e).Neighbors(ctx)
			if err != nil {
				return fmt.Errorf("router %s: %w", r.Name, err)
			}
			who := map[netip.Addr]string{}
			for _, s := range plan.Routers[r.Name].NodeSessions {
				who[s.Addr] = s.Node
			}
			slices.SortFunc(ns, func(a, b routers.BGPNeighbor) int { return a.Address.Compare(b.Address) })
			for _, n := range ns {
				peer := who[n.Address]
				if peer == "" {
					peer = routerAt[n.Address]
				}
				if peer == "" {
					continue
				}
				fam := "IPv4"
				if n.Address.Is6() {
					fam = "IPv6"
				}
				k := graph.SessionKey{Router: r.Name, Peer: peer}
				if states[k] != "" {
					states[k] += ", "
				}
				states[k] += fam + " " + string(n.State)
			}
		}
		g = graph.Build(t, states)
		g.Title = fmt.Sprintf("lab %s (%s)", lab.ID(), t.Name)
	}
	switch *output {
	case "dot":
		fmt.Print(g.DOT())
	case "json":
		b, err := json.MarshalIndent(g, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	default:
		fmt.Print(g.Mermaid())
	}
	return nil
}
