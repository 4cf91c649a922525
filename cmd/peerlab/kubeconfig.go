package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/peerlab/peerlab/harness"
)

// runKubeconfig: peerlab kubeconfig [--lab ID] prints the path of a lab's
// kubeconfig, for export KUBECONFIG=$(peerlab kubeconfig).
func runKubeconfig(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("kubeconfig", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab kubeconfig [--lab ID]\n\nPrints the path of the lab's kubeconfig: export KUBECONFIG=$(peerlab kubeconfig)\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	labID, err := pickLab(*id)
	if err != nil {
		return err
	}
	root, err := harness.StateRoot()
	if err != nil {
		return err
	}
	path := filepath.Join(root, labID, "kubeconfig")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("lab %s has no kubeconfig (%v); it may not have come up", labID, err)
	}
	fmt.Println(path)
	return nil
}
