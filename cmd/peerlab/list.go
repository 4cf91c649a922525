package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/scenarios"
)

// runList: peerlab list [-o table|json] shows the labs on this machine.
func runList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	out := fs.String("o", "table", "output: table or json")
	checks := fs.Bool("checks", true, "say whether each running lab is green (sessions, BFD, ECMP; a few seconds per lab)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab list [-o table|json]\n\nLists the labs on this machine: id, topology, age, their containers' states\nand whether the lab is green (BGP sessions, BFD, ECMP next hops).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out != "table" && *out != "json" {
		return fmt.Errorf("-o %q: want table or json", *out)
	}
	ids, err := harness.Running()
	if err != nil {
		return err
	}
	infos := make([]labInfo, 0, len(ids))
	for _, id := range ids {
		info, err := harness.Inspect(ctx, id)
		if err != nil {
			return fmt.Errorf("lab %s: %w", id, err)
		}
		li := labInfo{Info: info}
		if *checks && info.Containers["running"] >= info.Expected && info.Expected > 0 {
			li.Green, li.NotGreen = green(ctx, id)
		}
		infos = append(infos, li)
	}
	if *out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	if len(infos) == 0 {
		fmt.Println("no labs (peerlab up starts one)")
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LAB\tTOPOLOGY\tAGE\tCONTAINERS\tSTATE\tGREEN")
	for _, in := range infos {
		var states []string
		for _, s := range sortedStates(in.Containers) {
			states = append(states, fmt.Sprintf("%d %s", in.Containers[s], s))
		}
		state := "up"
		if in.Containers["running"] < in.Expected {
			state = fmt.Sprintf("degraded (%d of %d running)", in.Containers["running"], in.Expected)
		}
		g := "-"
		switch {
		case in.Green != nil && *in.Green:
			g = "yes"
		case in.Green != nil:
			g = "no: " + firstLine(in.NotGreen)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Topology, time.Since(in.Created).Round(time.Second), strings.Join(states, ", "), state, g)
	}
	return w.Flush()
}

func sortedStates(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// labInfo is a lab as list shows it.
type labInfo struct {
	harness.Info
	// Green is whether the checks passed (nil: not checked).
	Green    *bool  `json:"green,omitempty"`
	NotGreen string `json:"notGreen,omitempty"`
}

// green runs the core checks once on a lab.
func green(ctx context.Context, id string) (*bool, string) {
	lab, err := harness.Attach(ctx, id)
	ok := false
	if err != nil {
		return &ok, err.Error()
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := scenarios.All(scenarios.SessionsEstablished, scenarios.BFDUp, scenarios.ECMPNextHops)(cctx, lab); err != nil {
		return &ok, err.Error()
	}
	ok = true
	return &ok, ""
}
