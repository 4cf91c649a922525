// Command peerlab brings up and inspects BGP load-balancing labs: a kind
// cluster with MetalLB, FRR routers and clients on lab networks. Each verb
// lives in its own file; this one only dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one verb of the CLI.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"images":     {"build, list or verify the lab's container images", runImages},
		"up":         {"bring up a lab (default topology single-hop) and leave it running", runUp},
		"status":     {"show a lab's BGP sessions, BFD peers and service routes", runStatus},
		"down":       {"remove a lab (or --all labs)", runDown},
		"apply":      {"reconfigure a running lab to a topology file", runApply},
		"scenarios":  {"list the scenario catalog", runScenarios},
		"run":        {"run scenarios on a running lab", runRun},
		"list":       {"list the labs on this machine", runList},
		"bundle":     {"write a repro bundle of a lab (peerlab up --bundle FILE gives it again)", runBundle},
		"dump":       {"save a lab's state for a bug report (FRR, kind, MetalLB, diagnosis)", runDump},
		"logs":       {"print a router's, client's, node's or MetalLB pod's log (-f follows)", runLogs},
		"graph":      {"draw the lab (Mermaid or Graphviz DOT) with its sessions' state", runGraph},
		"validate":   {"check a topology file (no Docker needed)", runValidate},
		"exec":       {"run a command in a lab's router, client or node", runExec},
		"vtysh":      {"open vtysh on a lab router (or run -c commands)", runVtysh},
		"kubeconfig": {"print the path of a lab's kubeconfig", runKubeconfig},
		"bench":      {"measure lab-up to green against a bare cluster", runBench},
		"matrix":     {"run the test matrix's lanes here (JUnit, history, flakes)", runMatrix},
		"fault":      {"inject a fault into a running lab (link, pause, stop, drops, ...) or take it back", runFault},
		"diagnose":   {"say why BGP sessions are down (FSM, NOTIFICATION, MD5, routes, BFD); --pcap captures", runDiagnose},
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: peerlab <command> [flags]\n\ncommands:\n")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-11s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nrun 'peerlab <command> -h' for a command's flags\n")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	if os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(0)
	}
	cmd, ok := commands()[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "peerlab: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	// Ctrl-C cancels the context, so every blocking step stops and cleans up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// -h printed the usage: that is an answer, not a failure.
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "peerlab %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
