package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/peerlab/peerlab/harness"
)

// runDown: peerlab down [--lab ID | --all]
func runDown(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	all := fs.Bool("all", false, "remove every peerlab lab on this machine, including leftovers of crashed runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *all {
		if err := harness.SweepAll(ctx); err != nil {
			return err
		}
		fmt.Println("all peerlab labs removed")
		return nil
	}
	labID, err := pickLab(*id)
	if err != nil {
		return err
	}
	// By id alone: this also removes a lab that never finished coming up.
	return harness.Remove(ctx, labID)
}

// pickLab returns id, or the only running lab when id is empty.
func pickLab(id string) (string, error) {
	if id != "" {
		return id, nil
	}
	ids, err := harness.Running()
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no lab on this machine (peerlab up starts one)")
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d labs on this machine (%v): pick one with --lab", len(ids), ids)
}

// attachLab attaches to the lab with id (or the only one), its progress on
// stderr.
func attachLab(ctx context.Context, id string) (*harness.Lab, error) {
	labID, err := pickLab(id)
	if err != nil {
		return nil, err
	}
	return harness.Attach(ctx, labID, harness.WithOutput(os.Stderr))
}
