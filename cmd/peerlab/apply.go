package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// runApply: peerlab apply -f FILE [--lab ID] converges a running lab to a
// topology whose cluster, networks, routers and clients are the lab's own.
func runApply(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	file := fs.String("f", "", "topology YAML file (required)")
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab apply -f FILE [--lab ID]\n\n"+
			"Reconfigures a running lab to FILE: MetalLB resources, services and backends\n"+
			"(server-side apply, pruning what FILE no longer has) and the routers (live\n"+
			"reload). A change that needs a new lab (nodes, networks, addresses, IP family)\n"+
			"or an invalid file changes nothing and names the fields.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("give the topology with -f FILE")
	}
	topo, err := topologies.Load(*file)
	if err != nil {
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
	rep, err := lab.Apply(ctx, topo)
	if err != nil {
		return err
	}
	fmt.Printf("lab %s: applied %d objects, pruned %v, reloaded routers %v in %s\n",
		lab.ID(), len(rep.Applied), rep.Pruned, rep.Routers, rep.Duration.Round(100_000_000))
	fmt.Printf("next: peerlab status --lab %s (or peerlab run base --lab %s to check it)\n", lab.ID(), lab.ID())
	return nil
}
