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
	topo, err := loadTopology(*name, *file, fs)
	if err != nil {
		return err
	}
	p, err := topo.Prepare()
	if err != nil {
		return fmt.Errorf("topology %q is not valid:\n%w", topo.Name, err)
	}
	fmt.Printf("topology %q is valid: %d nodes, %d routers, %d clients, %d services, %d MetalLB peers\n",
		p.Name, p.Cluster.Nodes(), len(p.Routers), len(p.Clients), len(p.Services), len(p.MetalLB.Peers))
	return nil
}
