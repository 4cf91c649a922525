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
)

// runList: peerlab list [-o table|json] shows the labs on this machine.
func runList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	out := fs.String("o", "table", "output: table or json")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab list [-o table|json]\n\nLists the labs on this machine: id, topology, age and their containers' states.\n\nflags:\n")
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
	infos := make([]harness.Info, 0, len(ids))
	for _, id := range ids {
		info, err := harness.Inspect(ctx, id)
		if err != nil {
			return fmt.Errorf("lab %s: %w", id, err)
		}
		infos = append(infos, info)
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
	fmt.Fprintln(w, "LAB\tTOPOLOGY\tAGE\tCONTAINERS\tSTATE")
	for _, in := range infos {
		var states []string
		for _, s := range sortedStates(in.Containers) {
			states = append(states, fmt.Sprintf("%d %s", in.Containers[s], s))
		}
		state := "up"
		if in.Containers["running"] < in.Expected {
			state = fmt.Sprintf("degraded (%d of %d running)", in.Containers["running"], in.Expected)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", in.ID, in.Topology, time.Since(in.Created).Round(time.Second), strings.Join(states, ", "), state)
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
