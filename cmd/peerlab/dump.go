package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"
)

// runDump: peerlab dump [--lab ID] [DIR] saves what a failed test saves:
// routers' and speakers' FRR state and logs, the diagnosis, kind's logs,
// MetalLB's resources and the pods' logs.
func runDump(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab dump [--lab ID] [DIR]\n\n"+
			"Saves the lab's state for a bug report (default DIR:\n"+
			"peerlab-artifacts/LAB-YYYYmmdd-HHMMSS): each router's and speaker's FRR\n"+
			"state, config and log, why sessions are down, kind's logs, MetalLB's\n"+
			"resources and pods' logs, the Docker networks.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("unexpected arguments %v (one directory at most)", fs.Args()[1:])
	}
	lab, err := attachLab(ctx, *id)
	if err != nil {
		return err
	}
	dir := fs.Arg(0)
	if dir == "" {
		dir = filepath.Join("peerlab-artifacts", lab.ID()+"-"+time.Now().Format("20060102-150405"))
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := lab.Dump(ctx, dir); err != nil {
		return fmt.Errorf("dump of lab %s (partly written to %s): %w", lab.ID(), dir, err)
	}
	fmt.Printf("lab %s dumped to %s in %s\n", lab.ID(), dir, time.Since(start).Round(100*time.Millisecond))
	return nil
}
