package matrix

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Runner runs lanes one after another on this machine.
type Runner struct {
	// Dir gets one directory per lane: junit.xml, test.json (go test
	// -json), output.log and artifacts/ (dumps of failed labs).
	Dir string
	// History is the file each lane's result is appended to (JSON lines);
	// the flake report reads it.
	History string
	// Commit is recorded with each result ("" if unknown).
	Commit string
	// RunID names this invocation in the history (its start time, by
	// default), and Set the lane set it runs whole (SetDefault, SetAll; ""
	// for hand-picked lanes): the record counts runs of the default set.
	RunID, Set string
	// Out receives progress and the tests' output.
	Out io.Writer
	// WorkDir is the checkout the lanes' packages are relative to.
	WorkDir string
	// GoTestSum is the command that runs gotestsum (gotest.tools/gotestsum
	// from the module's tools file). It must be the gotestsum binary itself,
	// not `go tool gotestsum`: go tool passes every signal it gets on to the
	// tool, so the interrupt sent to the lane's process group reached
	// gotestsum twice, and a second interrupt kills gotestsum outright (its
	// handler forwards the first to go test, then stops listening). With
	// gotestsum gone, go test and the test binary lost their output pipe in
	// the middle of tearing their lab down (CI, stop 18: the lab was left).
	// ResolveGoTestSum turns the go tool form into the binary's path.
	GoTestSum []string
}

// Result is how one lane ended.
type Result struct {
	Lane     string    `json:"lane"`
	Commit   string    `json:"commit,omitempty"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Passed   bool      `json:"passed"`
	Failed   []string  `json:"failed,omitempty"` // failed tests and subtests (scenarios are subtests)
	Error    string    `json:"error,omitempty"`  // why the lane could not run, if it could not
	Dir      string    `json:"dir"`
	JUnit    string    `json:"junit"`
	ExitCode int       `json:"exitCode"`
	// Run, Set and Of place the result in its invocation: its name, the set
	// it ran (if a whole one) and how many lanes it planned.
	Run string `json:"run,omitempty"`
	Set string `json:"set,omitempty"`
	Of  int    `json:"of,omitempty"`
	// Interrupted: the runner was stopped during the lane, so its failures
	// say nothing about the tests (the flake report and the record skip it).
	Interrupted bool `json:"interrupted,omitempty"`
}

// Run runs the lanes in order and records each result; it stops early
// only when ctx ends (an interrupted lane's go test removes its labs).
func (r *Runner) Run(ctx context.Context, lanes []Lane) ([]Result, error) {
	var results []Result
	run := r.RunID
	if run == "" {
		run = time.Now().UTC().Format(time.RFC3339)
	}
	for i, l := range lanes {
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		fmt.Fprintf(r.Out, "\n=== lane %d/%d %s (%s, %s, %s): %s\n", i+1, len(lanes), l.Name, l.Family, l.Backend, l.Topology, time.Now().UTC().Format("15:04:05"))
		res := r.runLane(ctx, l)
		res.Run, res.Set, res.Of = run, r.Set, len(lanes)
		res.Interrupted = ctx.Err() != nil
		results = append(results, res)
		verdict := "PASS"
		if !res.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(r.Out, "=== lane %s: %s in %s\n", l.Name, verdict, time.Duration(res.Seconds*float64(time.Second)).Round(time.Second))
		if err := r.record(res); err != nil {
			return results, err
		}
	}
	return results, nil
}

func (r *Runner) runLane(ctx context.Context, l Lane) (res Result) {
	dir := filepath.Join(r.Dir, l.Name)
	res = Result{Lane: l.Name, Commit: r.Commit, Started: time.Now().UTC(), Dir: dir, JUnit: filepath.Join(dir, "junit.xml")}
	defer func() { res.Seconds = time.Since(res.Started).Seconds() }()
	if err := os.RemoveAll(dir); err != nil {
		res.Error = err.Error()
		return res
	}
	if err := os.MkdirAll(filepath.Join(dir, "artifacts"), 0o755); err != nil {
		res.Error = err.Error()
		return res
	}
	logf, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer logf.Close()
	jsonFile := filepath.Join(dir, "test.json")
	args := append(slices.Clone(r.GoTestSum[1:]),
		"--format", "testname",
		"--junitfile", res.JUnit,
		"--jsonfile", jsonFile,
		"--")
	args = append(args, l.GoTestArgs()...)
	cmd := exec.CommandContext(ctx, r.GoTestSum[0], args...)
	cmd.Dir = r.WorkDir
	cmd.Env = append(os.Environ(), "PEERLAB_ARTIFACTS="+filepath.Join(dir, "artifacts"), "TESTCONTAINERS_RYUK_DISABLED=true")
	for _, k := range slices.Sorted(maps.Keys(l.Env)) {
		cmd.Env = append(cmd.Env, k+"="+l.Env[k])
	}
	cmd.Stdout = io.MultiWriter(r.Out, logf)
	cmd.Stderr = io.MultiWriter(r.Out, logf)
	// An interrupt reaches go test, whose tests tear their labs down;
	// killing it outright would leave them behind.
	// gotestsum, go test and the test binary get their own process group,
	// and an interrupt goes to all of them: go test does not pass a signal
	// on to the test binary, whose tests take their labs down when it
	// reaches them (e2e's TestMain), so signalling gotestsum alone left the
	// lane running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Minute
	err = cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		// Whatever of the group is still running is a test binary taking
		// its lab down: the lane is not over until it is done. (No
		// process: the interrupt came before the lane started.)
		waitGroupGone(cmd.Process.Pid, cmd.WaitDelay)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		res.Passed = true
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	default:
		res.Error = err.Error()
		res.ExitCode = -1
	}
	failed, perr := failedTests(jsonFile)
	if perr != nil && res.Error == "" {
		res.Error = perr.Error()
	}
	res.Failed = failed
	if !res.Passed && len(failed) == 0 && res.Error == "" {
		res.Error = fmt.Sprintf("go test exited %d with no failed test (build error or timeout: see %s)", res.ExitCode, logf.Name())
	}
	return res
}

// waitGroupGone waits until no process of process group pgid remains, or
// for at most limit; then it kills what is left.
func waitGroupGone(pgid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ResolveGoTestSum returns the path of the gotestsum binary that
// `go tool -modfile=<modfile> gotestsum` would run (building it if it is
// not built yet), so that the runner runs gotestsum itself (see
// Runner.GoTestSum).
func ResolveGoTestSum(ctx context.Context, dir, modfile string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "-modfile="+modfile, "-n", "gotestsum")
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding gotestsum (go tool -modfile=%s -n gotestsum): %v: %s; the matrix runner needs Go and the module proxy once to build it (see README, Testing)", modfile, err, strings.TrimSpace(stderr.String()))
	}
	path := strings.TrimSpace(string(out))
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("go tool -n gotestsum printed %q, which is not a file: %v", path, err)
	}
	return path, nil
}

// testEvent is the part of a go test -json event the runner reads.
type testEvent struct {
	Action  string
	Package string
	Test    string
}

// failedTests lists the tests that failed in a go test -json file.
func failedTests(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("no test events: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev testEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Action != "fail" {
			continue
		}
		name := ev.Test
		if name == "" {
			name = ev.Package + " (package)"
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, sc.Err()
}

// record appends a result to the history file.
func (r *Runner) record(res Result) error {
	if r.History == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(r.History), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(r.History, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		f.Close()
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadHistory reads every recorded result.
func ReadHistory(path string) ([]Result, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Flaky is a test that both passed and failed in the same lane.
type Flaky struct {
	Lane   string `json:"lane"`
	Test   string `json:"test"`
	Failed int    `json:"failed"`
	Runs   int    `json:"runs"`
}

// FlakyTests reads the history for tests that failed in some runs of a
// lane but not in all of them. A run counts for a test when the lane ran
// to the end (no runner error, not interrupted), so a lane that did not
// build, or that someone stopped, does not make every test look flaky.
func FlakyTests(history []Result) []Flaky {
	runs := map[string]int{}
	fails := map[[2]string]int{}
	for _, r := range history {
		if r.Interrupted || r.Error != "" && len(r.Failed) == 0 {
			continue
		}
		runs[r.Lane]++
		for _, t := range r.Failed {
			fails[[2]string{r.Lane, t}]++
		}
	}
	var out []Flaky
	for k, n := range fails {
		if n < runs[k[0]] {
			out = append(out, Flaky{Lane: k[0], Test: k[1], Failed: n, Runs: runs[k[0]]})
		}
	}
	slices.SortFunc(out, func(a, b Flaky) int {
		return strings.Compare(a.Lane+"\x00"+a.Test, b.Lane+"\x00"+b.Test)
	})
	return out
}

// Summary renders the results as a table, then what the whole history
// says (Record).
func Summary(results []Result, history []Result) string {
	var b strings.Builder
	w := 24 // the lane column fits the longest name
	for _, r := range results {
		w = max(w, len(r.Lane))
	}
	fmt.Fprintf(&b, "%-*s %-6s %8s  %-40s %s\n", w, "LANE", "RESULT", "TIME", "FAILED", "ARTIFACTS")
	for _, r := range results {
		verdict := "PASS"
		switch {
		case r.Interrupted:
			verdict = "STOP"
		case !r.Passed:
			verdict = "FAIL"
		}
		failed := strings.Join(r.Failed, ", ")
		if failed == "" && r.Error != "" {
			failed = r.Error
		}
		if failed == "" {
			failed = "-"
		}
		fmt.Fprintf(&b, "%-*s %-6s %7.0fs  %-40s %s\n", w, r.Lane, verdict, r.Seconds, failed, r.Dir)
	}
	fmt.Fprintf(&b, "\n%s", Record(history))
	return b.String()
}
