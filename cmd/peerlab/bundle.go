package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/bundle"
)

// runBundle: peerlab bundle [--lab ID] [-o FILE] writes the repro bundle of
// a running lab; peerlab up --bundle FILE gives the same lab again.
func runBundle(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	out := fs.String("o", "", "bundle file (default: peerlab-bundle-LAB-YYYYmmdd-HHMMSS.tar.gz)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab bundle [--lab ID] [-o FILE]\n\n"+
			"Writes one file with everything needed to get the same lab again: the\n"+
			"topology as applied, the versions (peerlab, Kubernetes, MetalLB, FRR, kind),\n"+
			"each image's reference and input hash, the checks' results now, and the\n"+
			"lab's dump. 'peerlab up --bundle FILE' brings the same lab up and runs the\n"+
			"same checks.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	lab, err := attachLab(ctx, *id)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = fmt.Sprintf("peerlab-bundle-%s-%s.tar.gz", lab.ID(), time.Now().Format("20060102-150405"))
	}
	kit, err := images.New()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bundling lab %s: checks, versions, dump ...\n", lab.ID())
	m, err := bundle.Write(ctx, lab, kit, path)
	if err != nil {
		return fmt.Errorf("bundle of lab %s: %w", lab.ID(), err)
	}
	abs, _ := filepath.Abs(path)
	st, _ := os.Stat(path)
	fmt.Printf("bundle of lab %s (%s): %s (%d KiB)\n", lab.ID(), m.Topology, abs, st.Size()/1024)
	fmt.Printf("  peerlab %s, Kubernetes %s, MetalLB %s, FRR %s, kind %s\n", m.Versions.Peerlab, m.Versions.Kubernetes, m.Versions.MetalLB, m.Versions.FRR, m.Versions.Kind)
	printResults(m.Checks, nil)
	fmt.Printf("  again: peerlab up --bundle %s\n", abs)
	return nil
}

// printResults shows checks (and, when given, how the bundle saw them).
func printResults(now, bundled []bundle.Result) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	if bundled == nil {
		fmt.Fprintln(w, "  CHECK\tRESULT\tDETAIL")
	} else {
		fmt.Fprintln(w, "  CHECK\tNOW\tIN THE BUNDLE\tDETAIL")
	}
	word := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "FAIL"
	}
	for i, r := range now {
		detail := firstLine(r.Error)
		if bundled == nil {
			fmt.Fprintf(w, "  %s\t%s\t%s\n", r.Name, word(r.Passed), detail)
		} else {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", r.Name, word(r.Passed), word(bundled[i].Passed), detail)
		}
	}
	w.Flush()
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}
