package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/scenarios"
)

// runRun: peerlab run [--lab ID] [--all] NAME... runs scenarios on a
// running lab, each from the lab's current topology, and puts that topology
// back at the end.
func runRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	all := fs.Bool("all", false, "run the whole catalog")
	artifacts := fs.String("artifacts", "peerlab-artifacts", "where failed scenarios' dumps and the report go")
	hold := fs.Duration("hold", 5*time.Second, "how long each step must stay green with no session drop")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab run [--lab ID] [--all | NAME...]\n\nRuns scenarios ('peerlab scenarios' lists them) on a running lab and prints\nPASS/FAIL/SKIP with each one's time; the report is written as JSON.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var list []scenarios.Scenario
	switch {
	case *all && fs.NArg() > 0:
		return fmt.Errorf("give --all or scenario names, not both")
	case *all:
		list = scenarios.Catalog()
	case fs.NArg() == 0:
		fs.Usage()
		return fmt.Errorf("name at least one scenario (or --all)")
	default:
		var err error
		if list, err = scenarios.Find(scenarios.Catalog(), fs.Args()...); err != nil {
			return err
		}
	}
	labID, err := pickLab(*id)
	if err != nil {
		return err
	}
	lab, err := harness.Attach(ctx, labID, harness.WithOutput(os.Stderr))
	if err != nil {
		return err
	}
	dir, _ := filepath.Abs(filepath.Join(*artifacts, labID))
	suite := &scenarios.Suite{Lab: lab, Base: lab.Topology(), Out: os.Stdout, Artifacts: dir, Hold: *hold}
	results, err := suite.RunAll(ctx, list)
	report := filepath.Join(dir, "scenarios.json")
	summary, werr := scenarios.WriteReport(report, results)
	fmt.Printf("%s (report: %s)\n", summary, report)
	if err != nil {
		return fmt.Errorf("putting the lab's topology back: %w", err)
	}
	if werr != nil {
		return werr
	}
	for _, r := range results {
		if r.Status == scenarios.Fail {
			return fmt.Errorf("%s", summary)
		}
	}
	return nil
}
