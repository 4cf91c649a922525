package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/peerlab/peerlab/internal/matrix"
)

// lanesFlag collects repeated --lane flags (also comma-separated).
type lanesFlag []string

func (f *lanesFlag) String() string { return strings.Join(*f, ",") }
func (f *lanesFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*f = append(*f, s)
		}
	}
	return nil
}

// runMatrix: peerlab matrix [--list [-o table|json|github]] [--lane NAME ...]
func runMatrix(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	var lanes lanesFlag
	fs.Var(&lanes, "lane", "lane to run (repeat or comma-separate; default: the default set, which .ci/run runs)")
	all := fs.Bool("all", false, "run every runnable lane (the full matrix the nightly workflow runs)")
	list := fs.Bool("list", false, "list the lanes instead of running them")
	output := fs.String("o", "table", "with --list: table, json, or github (the CI workflow's matrix)")
	dir := fs.String("dir", "peerlab-matrix", "where each lane's junit.xml, test.json, output.log and artifacts go")
	history := fs.String("history", "", "history file results are appended to (default DIR/history.jsonl; give one file to keep a record across output directories)")
	record := fs.Bool("record", false, "print what the history says (intermittent failures, the default set's runs in a row that passed) and run nothing")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab matrix [--list [-o table|json|github]] [--lane NAME ... | --all] [--dir DIR] [--history FILE] [--record]\n\n"+
			"Runs the test matrix's lanes one after another on this machine, each through\n"+
			"gotestsum (JUnit XML and go test -json per lane), appends each result to the\n"+
			"history file and prints a summary with the tests that failed intermittently.\n"+
			"CI runs one lane per job with the same command. Run it from the checkout.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v (lanes go in --lane)", fs.Args())
	}
	if *list {
		return listLanes(*output)
	}
	if *output != "table" {
		return fmt.Errorf("-o %s: only with --list", *output)
	}
	if *all && len(lanes) > 0 {
		return fmt.Errorf("give --all or --lane, not both")
	}
	if *record && (*all || len(lanes) > 0) {
		return fmt.Errorf("--record runs nothing: give it without --lane or --all")
	}
	selected, err := matrix.Select(lanes)
	if err != nil {
		return err
	}
	set := ""
	switch {
	case *all:
		selected, set = matrix.Runnable(), matrix.SetAll
	case len(lanes) == 0:
		set = matrix.SetDefault
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if *history == "" {
		*history = filepath.Join(abs, "history.jsonl")
	}
	if *record {
		past, err := matrix.ReadHistory(*history)
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d lane result(s)\n%s", *history, len(past), matrix.Record(past))
		return nil
	}
	root, err := checkoutRoot()
	if err != nil {
		return err
	}
	commit, _ := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	gotestsum, err := matrix.ResolveGoTestSum(ctx, root, filepath.Join(root, "tools", "go.mod"))
	if err != nil {
		return err
	}
	r := &matrix.Runner{
		Dir:       abs,
		History:   *history,
		Commit:    strings.TrimSpace(string(commit)),
		Set:       set,
		Out:       os.Stdout,
		WorkDir:   root,
		GoTestSum: []string{gotestsum},
	}
	results, runErr := r.Run(ctx, selected)
	past, err := matrix.ReadHistory(*history)
	if err != nil {
		return err
	}
	summary := matrix.Summary(results, past)
	fmt.Printf("\n%s", summary)
	if err := os.WriteFile(filepath.Join(abs, "summary.txt"), []byte(summary), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(abs, "summary.json"), b, 0o644); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	var failed []string
	for _, res := range results {
		if !res.Passed {
			failed = append(failed, res.Lane)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("lanes failed: %s (logs and artifacts under %s)", strings.Join(failed, ", "), abs)
	}
	return nil
}

func listLanes(output string) error {
	all := matrix.Lanes()
	switch output {
	case "json":
		b, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case "github":
		// The workflow's strategy.matrix: runnable lanes only.
		type cell struct {
			Lane     string `json:"lane"`
			Family   string `json:"family"`
			Backend  string `json:"backend"`
			Topology string `json:"topology"`
		}
		var cells []cell
		for _, l := range all {
			if l.Pending == "" {
				cells = append(cells, cell{l.Name, l.Family, l.Backend, l.Topology})
			}
		}
		b, err := json.Marshal(map[string]any{"include": cells})
		if err != nil {
			return err
		}
		fmt.Println(string(b))
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "LANE\tDEFAULT\tFAMILY\tBACKEND\tTOPOLOGY\tKUBERNETES\tRUNS\tCOVERS")
		for _, l := range all {
			runs := strings.Join(l.Packages, " ")
			for _, k := range slices.Sorted(maps.Keys(l.Env)) {
				runs = k + "=" + l.Env[k] + " " + runs
			}
			if l.Run != "" {
				runs += " -run " + l.Run
			}
			covers := l.Covers
			if l.Pending != "" {
				runs, covers = "(pending)", l.Pending
			}
			def := "-"
			if l.Default {
				def = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Name, def, l.Family, l.Backend, l.Topology, l.Kubernetes, runs, covers)
		}
		return w.Flush()
	default:
		return fmt.Errorf("-o %s: want table, json or github", output)
	}
	return nil
}

// checkoutRoot finds the peerlab checkout above the working directory: the
// lanes name packages relative to it.
func checkoutRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/peerlab/peerlab\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("peerlab matrix runs from a peerlab checkout (no go.mod of github.com/peerlab/peerlab above %s)", dir)
		}
	}
}
