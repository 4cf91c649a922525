package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// benchPair is one measurement: a bare cluster create, then the whole lab
// to green, with the same node image and node count.
type benchPair struct {
	BareSeconds  float64      `json:"bareClusterSeconds"`
	LabSeconds   float64      `json:"labToGreenSeconds"`
	Ratio        float64      `json:"ratio"`
	BarePhases   []benchPhase `json:"barePhases"`
	LabPhases    []benchPhase `json:"labPhases"`
	GreenSeconds float64      `json:"greenAfterUpSeconds"`
}

// runBench: peerlab bench [--topology NAME | -f FILE] [--pairs N] [-o FILE]
// measures lab-up to green against a bare kind cluster, side by side.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	name := fs.String("topology", "single-hop", "builtin topology: "+strings.Join(topologies.Names(), ", "))
	file := fs.String("f", "", "topology YAML file (instead of --topology)")
	familyFlag(fs)
	pairs := fs.Int("pairs", 3, "how many (bare cluster, lab) pairs to measure")
	out := fs.String("o", "", "write the results as JSON to this file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab bench [--topology NAME | -f FILE] [--pairs N] [-o FILE.json]\n\n"+
			"Creates, N times, a bare kind cluster (networks, node image and node count of the\n"+
			"topology) and then the whole lab until sessions, BFD and ECMP are green; prints each\n"+
			"pair's times and phases, the ratio lab/bare and the median ratio. Labs are removed.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pairs < 1 {
		return fmt.Errorf("--pairs %d: want at least 1", *pairs)
	}
	topo, err := loadTopology(*name, *file, fs)
	if err != nil {
		return err
	}
	kit, err := images.New()
	if err != nil {
		return err
	}
	// Images once, before timing: the benchmark measures labs, not builds.
	if _, err := kit.Ensure(ctx); err != nil {
		return err
	}
	var results []benchPair
	for i := range *pairs {
		var p benchPair
		bare, err := harness.New(topo, harness.WithImages(kit), harness.WithOutput(os.Stderr))
		if err != nil {
			return err
		}
		start := time.Now()
		err = bare.UpBare(ctx)
		p.BareSeconds = time.Since(start).Seconds()
		p.BarePhases = phaseMap(bare.Timings())
		if derr := downNow(ctx, bare); err != nil || derr != nil {
			return fmt.Errorf("pair %d, bare cluster: %v %v", i+1, err, derr)
		}
		lab, err := harness.New(topo, harness.WithImages(kit), harness.WithOutput(os.Stderr))
		if err != nil {
			return err
		}
		start = time.Now()
		err = lab.Up(ctx)
		up := time.Since(start)
		if err == nil {
			err = scenarios.Eventually(ctx, lab, 3*time.Minute, 250*time.Millisecond, scenarios.All(scenarios.SessionsEstablished, scenarios.BFDUp, scenarios.ECMPNextHops))
		}
		p.LabSeconds = time.Since(start).Seconds()
		p.GreenSeconds = (time.Since(start) - up).Seconds()
		p.LabPhases = phaseMap(lab.Timings())
		if derr := downNow(ctx, lab); err != nil || derr != nil {
			return fmt.Errorf("pair %d, lab: %v %v", i+1, err, derr)
		}
		p.Ratio = p.LabSeconds / p.BareSeconds
		fmt.Printf("pair %d: bare cluster %.1fs, lab to green %.1fs (green %.1fs after up), ratio %.2f\n", i+1, p.BareSeconds, p.LabSeconds, p.GreenSeconds, p.Ratio)
		fmt.Print(harness.PhaseTable(append(lab.Timings(), harness.PhaseTiming{Phase: "green (sessions, BFD, ECMP)", Start: up, Duration: time.Duration(p.GreenSeconds * float64(time.Second))})))
		results = append(results, p)
	}
	ratios := make([]float64, 0, len(results))
	for _, r := range results {
		ratios = append(ratios, r.Ratio)
	}
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	fmt.Printf("median ratio lab/bare over %d pairs: %.2f (goal 1.5)\n", len(results), median)
	if *out != "" {
		b, err := json.MarshalIndent(struct {
			Topology    string      `json:"topology"`
			MedianRatio float64     `json:"medianRatio"`
			Pairs       []benchPair `json:"pairs"`
		}{topo.Name, median, results}, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*out, b, 0o644)
	}
	return nil
}

// benchPhase is one phase of Up: where it started and how long it took.
type benchPhase struct {
	Phase   string  `json:"phase"`
	Start   float64 `json:"startSeconds"`
	Seconds float64 `json:"seconds"`
}

func phaseMap(ts []harness.PhaseTiming) []benchPhase {
	out := make([]benchPhase, 0, len(ts))
	for _, t := range ts {
		out = append(out, benchPhase{t.Phase, t.Start.Round(100 * time.Millisecond).Seconds(), t.Duration.Round(100 * time.Millisecond).Seconds()})
	}
	return out
}

// downNow removes a benchmark lab even when ctx was cancelled.
func downNow(ctx context.Context, l *harness.Lab) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	return l.Down(dctx)
}
