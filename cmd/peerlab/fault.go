package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/peerlab/peerlab/harness"
)

// runFault: peerlab fault [--lab ID] [--undo] KIND TARGET [--network N]
// [--direction D] injects a fault into a running lab (or takes it back);
// --list shows the faults in place and --undo-all takes them all back.
func runFault(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fault", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	network := fs.String("network", "", "link and drop faults: which of the target's networks (default: its only one)")
	direction := fs.String("direction", "", "drop faults: in, out or both (default both)")
	undo := fs.Bool("undo", false, "take the fault back")
	undoAll := fs.Bool("undo-all", false, "take back every fault in place")
	list := fs.Bool("list", false, "list the faults in place")
	fs.Usage = func() {
		var kinds []string
		for _, k := range harness.FaultKinds() {
			kinds = append(kinds, string(k))
		}
		fmt.Fprintf(fs.Output(), `usage: peerlab fault [--lab ID] [--undo] KIND TARGET [--network N] [--direction in|out|both]
       peerlab fault [--lab ID] --list | --undo-all

Injects a fault into a running lab, addressed by topology names: a node
(control-plane, worker, ...), a router or a client. Kinds: %s.
  link        the target's interface on a network goes down (--undo: up)
  pause       the container is frozen; a paused node's kernel still forwards
  stop        the container stops (--undo: it starts and gets its routes back)
  drop-bgp    BGP packets (TCP 179) on a network are dropped (--undo: passed)
  drop-bfd    BFD packets (UDP 3784, 3785, 4784) likewise
  speaker     the node's MetalLB speaker pod is deleted (no undo)
  restart     a router's or client's container restarts (no undo)
  frr         a router's FRR daemons are killed; watchfrr restarts them (no undo)
  wrong-asn   a router expects another AS from the nodes (--undo: the right one)
  md5         a router's node sessions get a password the nodes lack (--undo: back)
'peerlab down' also clears faults left in place.

flags:
`, strings.Join(kinds, ", "))
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	lab, err := attachLab(ctx, *id)
	if err != nil {
		return err
	}
	labID := lab.ID()
	switch {
	case *list || *undoAll:
		if len(pos) > 0 {
			return fmt.Errorf("--list and --undo-all take no kind or target")
		}
		active, err := lab.ActiveFaults()
		if err != nil {
			return err
		}
		if *undoAll {
			if err := lab.UndoAll(ctx); err != nil {
				return err
			}
			fmt.Printf("lab %s: %d fault(s) taken back\n", labID, len(active))
			return nil
		}
		if len(active) == 0 {
			fmt.Printf("lab %s: no faults in place\n", labID)
		}
		for _, f := range active {
			fmt.Println(f)
		}
		return nil
	case len(pos) != 2:
		fs.Usage()
		return fmt.Errorf("give a kind and a target, e.g. peerlab fault link worker")
	}
	f := harness.Fault{Kind: harness.FaultKind(pos[0]), Target: pos[1], Network: *network, Direction: harness.Direction(*direction)}
	if *undo {
		if _, err := lab.Undo(ctx, f); err != nil {
			return err
		}
		fmt.Printf("lab %s: undone: %s\n", labID, f)
		return nil
	}
	if _, err := lab.Inject(ctx, f); err != nil {
		return err
	}
	if f.Kind.OneShot() {
		fmt.Printf("lab %s: %s (no undo; 'peerlab status' shows the lab heal)\n", labID, f)
	} else {
		fmt.Printf("lab %s: %s (take it back: peerlab fault --undo %s %s)\n", labID, f, f.Kind, f.Target)
	}
	return nil
}

// parseInterspersed parses flags given before, between or after positional
// arguments (the flag package stops at the first positional one).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
