package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/peerlab/peerlab/scenarios"
)

// runScenarios: peerlab scenarios lists the catalog.
func runScenarios(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab scenarios\n\nLists the scenario catalog; 'peerlab run NAME...' runs scenarios on a running lab.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTEPS\tSUMMARY")
	for _, sc := range scenarios.Catalog() {
		fmt.Fprintf(w, "%s\t%d\t%s\n", sc.Name, len(sc.Steps), sc.Summary)
	}
	return w.Flush()
}
