package main

import (
	"context"
	"flag"
	"fmt"
)

// runVtysh: peerlab vtysh [--lab ID] ROUTER [-c CMD]... opens FRR's shell
// on a router, or runs the given commands.
func runVtysh(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("vtysh", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	var cmds multiFlag
	fs.Var(&cmds, "c", "a vtysh command (repeatable); none opens the shell")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab vtysh [--lab ID] ROUTER [-c CMD]...\n\nOpens vtysh on a lab router, or runs the -c commands in it.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return fmt.Errorf("name a router")
	}
	router := fs.Arg(0)
	// Flags after the router name: peerlab vtysh edge -c 'show bgp summary'.
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v (commands go with -c)", fs.Args())
	}
	ctr, err := containerOf(ctx, *id, router)
	if err != nil {
		return err
	}
	cmd := []string{"vtysh"}
	for _, c := range cmds {
		cmd = append(cmd, "-c", c)
	}
	return dockerExec(ctx, ctr, cmd)
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
