package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/peerlab/peerlab/topologies"
)

// runValidate: peerlab validate [-f FILE | --topology NAME] checks a
// topology without Docker and lists every problem with its path.
func runValidate(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	name := fs.String("topology", "", "builtin topology: "+strings.Join(topologies.Names(), ", "))
	file := fs.String("f", "", "topology YAML file")
	familyFlag(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab validate -f FILE | --topology NAME\n\nChecks a topology (no Docker needed) and lists every problem with its path.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*file == "") == (*name == "") {
		fs.Usage()
		return fmt.Errorf("give either -f FILE or --topology NAME")
	}
	p, err := loadPrepared(*name, *file, fs)
	if err != nil {
		return err
	}
	fmt.Printf("topology %q is valid: %d nodes, %d routers, %d clients, %d services, %d MetalLB peers\n",
		p.Name, p.Cluster.Nodes(), len(p.Routers), len(p.Clients), len(p.Services), len(p.MetalLB.Peers))
	return nil
}

// loadPrepared loads a topology (loadTopology) and applies its defaults and
// validation, listing every problem.
func loadPrepared(name, file string, fs *flag.FlagSet) (topologies.Topology, error) {
	topo, err := loadTopology(name, file, fs)
	if err != nil {
		return topo, err
	}
	p, err := topo.Prepare()
	if err != nil {
		return p, fmt.Errorf("topology %q is not valid:\n%w", topo.Name, err)
	}
	return p, nil
}
