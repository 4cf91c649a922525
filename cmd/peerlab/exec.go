package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/peerlab/peerlab/harness"
)

// runExec: peerlab exec [--lab ID] NAME -- CMD... runs a command in a
// router, client or node container (nodes by their topology names:
// control-plane, worker, worker2, ...), interactively when stdin is a
// terminal.
func runExec(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab exec [--lab ID] NAME -- CMD [ARG...]\n\nRuns CMD in a router, client or node (control-plane, worker, ...) of a lab.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 2 {
		fs.Usage()
		return fmt.Errorf("give a name and a command: peerlab exec NAME -- CMD")
	}
	name, cmd := rest[0], rest[1:]
	if cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if len(cmd) == 0 {
		return fmt.Errorf("no command after %s", name)
	}
	ctr, err := containerOf(ctx, *id, name)
	if err != nil {
		return err
	}
	return dockerExec(ctx, ctr, cmd)
}

// containerOf finds the container of a router, client or node by its
// topology name.
func containerOf(ctx context.Context, id, name string) (string, error) {
	labID, err := pickLab(id)
	if err != nil {
		return "", err
	}
	lab, err := harness.Attach(ctx, labID)
	if err != nil {
		return "", err
	}
	if c := lab.ContainerName(name); c != "" {
		return c, nil
	}
	t := lab.Topology()
	if slices.Contains(t.Cluster.NodeNames(), name) {
		return lab.ClusterName() + "-" + name, nil
	}
	var known []string
	for _, r := range t.Routers {
		known = append(known, r.Name)
	}
	for _, c := range t.Clients {
		known = append(known, c.Name)
	}
	known = append(known, t.Cluster.NodeNames()...)
	return "", fmt.Errorf("lab %s has no router, client or node %q (have: %s)", labID, name, strings.Join(known, ", "))
}

// dockerExec hands the terminal to docker exec, so interactive commands
// (a vtysh shell, a bash) behave as they would by hand.
func dockerExec(ctx context.Context, container string, cmd []string) error {
	args := []string{"exec", "-i"}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		args = append(args, "-t")
	}
	c := exec.CommandContext(ctx, "docker", append(append(args, container), cmd...)...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := c.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		return err
	}
	return nil
}
