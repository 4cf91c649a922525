package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// Scenario is a named change to a base topology, the checks it must pass,
// and what it requires of the lab. It runs as steps, each applied to the
// running lab in turn; a one-step scenario is the common case.
type Scenario struct {
	Name    string
	Summary string
	// Requires lists what the base topology must offer; an unmet
	// requirement skips the scenario with its reason.
	Requires []Requirement
	Steps    []Step
}

// Step is one change of a scenario and what must hold after it.
type Step struct {
	Name string
	// Change edits the topology (the base, with the earlier steps' changes
	// applied); nil keeps it.
	Change func(t *topologies.Topology)
	// Action runs on the lab after the change is applied (a live fault, a
	// session reset); nil for none.
	Action func(ctx context.Context, lab *harness.Lab) error
	// Expect adjusts the oracle (e.g. services that must stay pending).
	Expect []ExpectOption
	// Checks run besides the default ones.
	Checks []Check
	// Disruptive steps break sessions on purpose: only their own Checks run
	// (no default checks) and the no-flap rule does not apply.
	Disruptive bool
	// NoCurl leaves out the default reachability check.
	NoCurl bool
}

// Requirement is something a scenario needs from the base topology.
type Requirement struct {
	Name string
	// Unmet returns why t cannot run the scenario, or "".
	Unmet func(t topologies.Topology) string
}

// Status of a scenario run.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Result is one scenario's outcome, as the suite reports it.
type Result struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Duration time.Duration `json:"durationNs"`
	Seconds  float64       `json:"seconds"`
	Steps    []StepResult  `json:"steps"`
	// Artifacts is where a failed scenario's dump went.
	Artifacts string `json:"artifacts,omitempty"`
}

// StepResult times one step: applying it, then until its checks were green.
type StepResult struct {
	Name         string  `json:"name"`
	ApplySeconds float64 `json:"applySeconds"`
	GreenSeconds float64 `json:"greenSeconds"`
	Error        string  `json:"error,omitempty"`
	// Waited is, for a step that took longer than slowGreen to go green,
	// the last failure seen while waiting: what held it up.
	Waited string `json:"waited,omitempty"`
}

// slowGreen is how long a step may take to go green before its result says
// what it was waiting for (a catalog step is usually green in 10-30 s).
const slowGreen = 40 * time.Second

// Suite runs scenarios one after another on one running lab, each from the
// base topology.
type Suite struct {
	Lab  *harness.Lab
	Base topologies.Topology
	// Out receives progress lines (default: discarded).
	Out io.Writer
	// Artifacts is where failed scenarios' dumps go (empty: no dumps).
	Artifacts string
	// Timeout bounds each step's wait for green (default 90s); Hold is how
	// long a step's checks must then stay green with no session drop
	// (default 5s).
	Timeout, Hold time.Duration
}

func (s *Suite) logf(format string, args ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, format+"\n", args...)
	}
}

// Run runs one scenario and returns its result; a failure is in the result,
// not an error, so a suite goes on.
func (s *Suite) Run(ctx context.Context, sc Scenario) (res Result) {
	start := time.Now()
	res = Result{Name: sc.Name, Status: Pass}
	defer func() {
		res.Duration = time.Since(start)
		res.Seconds = res.Duration.Round(10 * time.Millisecond).Seconds()
		line := fmt.Sprintf("%s %-28s %6.1fs", res.Status, sc.Name, res.Seconds)
		if res.Reason != "" {
			line += "  " + firstLine(res.Reason)
		}
		s.logf("%s", line)
	}()
	for _, r := range sc.Requires {
		if why := r.Unmet(s.Base); why != "" {
			res.Status, res.Reason = Skip, fmt.Sprintf("requires %s: %s", r.Name, why)
			return res
		}
	}
	t := s.Base.Clone()
	for i, st := range sc.Steps {
		name := st.Name
		if name == "" {
			name = fmt.Sprintf("step %d", i+1)
		}
		sr, err := s.step(ctx, &t, st)
		sr.Name = name
		if err != nil {
			sr.Error = err.Error()
			res.Status, res.Reason = Fail, fmt.Sprintf("%s: %v", name, err)
		}
		res.Steps = append(res.Steps, sr)
		if err != nil {
			break
		}
	}
	if res.Status == Fail && s.Artifacts != "" {
		dir := filepath.Join(s.Artifacts, sc.Name)
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
		defer cancel()
		if err := s.Lab.Dump(dctx, dir); err != nil {
			s.logf("dump of %s: %v", sc.Name, err)
		}
		_ = os.WriteFile(filepath.Join(dir, "failure.txt"), []byte(res.Reason+"\n"), 0o644)
		res.Artifacts = dir
	}
	return res
}

func (s *Suite) step(ctx context.Context, t *topologies.Topology, st Step) (StepResult, error) {
	var sr StepResult
	timeout, hold := s.Timeout, s.Hold
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	if hold == 0 {
		hold = 5 * time.Second
	}
	if st.Change != nil {
		st.Change(t)
	}
	// Scenarios write their changes for IPv4; in an IPv6 or dual-stack lab
	// the changed pools and service IPs get their IPv6 twins the same way
	// the base got them (idempotent, so steps can build on each other).
	if f := s.Base.Cluster.IPFamily; f != "" && f != topologies.IPv4 {
		ft, err := t.ForFamily(f)
		if err != nil {
			return sr, fmt.Errorf("the step in %s: %w", f, err)
		}
		*t = ft
	}
	start := time.Now()
	if _, err := s.Lab.Apply(ctx, *t); err != nil {
		return sr, fmt.Errorf("apply: %w", err)
	}
	if st.Action != nil {
		if err := st.Action(ctx, s.Lab); err != nil {
			return sr, fmt.Errorf("action: %w", err)
		}
	}
	sr.ApplySeconds = time.Since(start).Round(10 * time.Millisecond).Seconds()
	checks := st.Checks
	if !st.Disruptive {
		checks = append([]Check{SessionsEstablished, BFDUp, Converged(st.Expect...)}, checks...)
		if !st.NoCurl {
			checks = append(checks, ReachableEverywhere(6, st.Expect...))
		}
	}
	check := All(checks...)
	var last error
	remember := func(ctx context.Context, lab *harness.Lab) error {
		err := check(ctx, lab)
		if err != nil {
			last = err
		}
		return err
	}
	if err := Eventually(ctx, s.Lab, timeout, time.Second, remember); err != nil {
		return sr, err
	}
	sr.GreenSeconds = time.Since(start).Round(10 * time.Millisecond).Seconds()
	if last != nil && time.Since(start) > slowGreen {
		sr.Waited = last.Error()
	}
	if st.Disruptive {
		return sr, nil
	}
	if err := HoldGreen(ctx, s.Lab, hold, check); err != nil {
		return sr, fmt.Errorf("green at %.1fs, then: %w", sr.GreenSeconds, err)
	}
	return sr, nil
}

// HoldGreen is the no-flap rule, to call the moment check has passed: for
// the hold time check keeps passing (polled every second), and no BGP
// connection drops and no BFD session goes down on any router or speaker
// (their counters, compared from now to the end).
func HoldGreen(ctx context.Context, lab *harness.Lab, hold time.Duration, check Check) error {
	snap, err := TakeFlapSnapshot(ctx, lab)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(hold)
	for time.Now().Before(deadline) {
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
		if err := check(ctx, lab); err != nil {
			return fmt.Errorf("failed again within the hold of %s: %w", hold, err)
		}
	}
	return snap.NoFlapSince(ctx, lab)
}

// RunAll runs scenarios in order, then puts the base topology back.
func (s *Suite) RunAll(ctx context.Context, scs []Scenario) ([]Result, error) {
	var out []Result
	for _, sc := range scs {
		out = append(out, s.Run(ctx, sc))
	}
	_, err := s.Lab.Apply(ctx, s.Base)
	return out, err
}

// WriteReport writes the results as JSON (one object with every scenario's
// time and outcome) and returns the summary line.
func WriteReport(path string, results []Result) (string, error) {
	var pass, fail, skip int
	var total float64
	for _, r := range results {
		switch r.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skip:
			skip++
		}
		total += r.Seconds
	}
	summary := fmt.Sprintf("%d passed, %d failed, %d skipped", pass, fail, skip)
	doc := struct {
		Summary   string   `json:"summary"`
		TotalSecs float64  `json:"totalSeconds"`
		Results   []Result `json:"results"`
	}{summary, total, results}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return summary, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return summary, err
	}
	return summary, os.WriteFile(path, b, 0o644)
}

// Find returns the named scenarios of a catalog, in the order asked, or an
// error naming the unknown ones and the known ones.
func Find(catalog []Scenario, names ...string) ([]Scenario, error) {
	byName := map[string]Scenario{}
	var known []string
	for _, sc := range catalog {
		byName[sc.Name] = sc
		known = append(known, sc.Name)
	}
	var out []Scenario
	var unknown []string
	for _, n := range names {
		sc, ok := byName[n]
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, sc)
	}
	if len(unknown) > 0 {
		return nil, errors.New("unknown scenario(s) " + strings.Join(unknown, ", ") + "; known: " + strings.Join(known, ", "))
	}
	return out, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
