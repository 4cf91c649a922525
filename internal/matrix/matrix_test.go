package matrix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/scenarios"
)

func TestLanesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range Lanes() {
		assert.False(t, seen[l.Name], "lane %s listed twice", l.Name)
		seen[l.Name] = true
		assert.NotEmpty(t, l.Family, l.Name)
		assert.NotEmpty(t, l.Backend, l.Name)
		assert.NotEmpty(t, l.Topology, l.Name)
		if l.Pending != "" {
			continue
		}
		assert.NotEmpty(t, l.Packages, "lane %s runs nothing", l.Name)
		assert.NotEmpty(t, l.Covers, "lane %s does not say what it covers", l.Name)
		assert.Positive(t, l.Timeout, l.Name)
		for _, p := range l.Packages {
			assert.DirExists(t, filepath.Join("..", "..", strings.TrimSuffix(p, "/...")), "lane %s: package %s", l.Name, p)
		}
	}
}

func TestSelect(t *testing.T) {
	all, err := Select(nil)
	require.NoError(t, err)
	for _, l := range all {
		assert.Empty(t, l.Pending, "default selection holds pending lane %s", l.Name)
		assert.True(t, l.Default, "default selection holds lane %s, not in the default set", l.Name)
	}
	assert.Greater(t, len(Runnable()), len(all), "the full matrix is more than the default set")
	assert.GreaterOrEqual(t, len(all), 2)

	got, err := Select([]string{"ipv4-frr-multi-hop"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []string{"-p", "1", "-count=1", "-vet=off", "-timeout", "30m0s", "-run", "^TestMultiHop$", "./e2e"}, got[0].GoTestArgs())

	_, err = Select([]string{"nope"})
	assert.ErrorContains(t, err, `unknown lane "nope"`)
	assert.ErrorContains(t, err, "ipv4-frr-single-hop")

	got, err = Select([]string{"ipv6-frr-catalog"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"PEERLAB_FAMILY": "ipv6"}, got[0].Env)

	got, err = Select([]string{"ipv4-native-multi-hop"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"PEERLAB_FAMILY": "ipv4", "PEERLAB_BACKEND": "native"}, got[0].Env)

	got, err = Select([]string{"ipv4-frr-l2"})
	require.NoError(t, err, "the L2 lane runs")
	assert.Equal(t, "^TestL2$", got[0].Run)
}

// testdata/gotest.json is real `go test -json` output of a package with a
// passing test, a failing one and a failing subtest (see testdata/README).
func TestFailedTestsFromGoTestJSON(t *testing.T) {
	got, err := failedTests(filepath.Join("testdata", "gotest.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"TestFails", "TestParent/child_fails", "TestParent", "example.com/sample (package)"}, got)

	_, err = failedTests(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorContains(t, err, "no test events")
}

func TestFlakyTestsAndHistory(t *testing.T) {
	dir := t.TempDir()
	r := &Runner{History: filepath.Join(dir, "sub", "history.jsonl")}
	for _, res := range []Result{
		{Lane: "a", Passed: true},
		{Lane: "a", Failed: []string{"TestX", "TestCatalog/random"}},
		{Lane: "a", Failed: []string{"TestX"}},
		{Lane: "b", Failed: []string{"TestY"}},
		{Lane: "b", Failed: []string{"TestY"}},
		// A lane that did not build says nothing about its tests.
		{Lane: "b", Error: "go test exited 1 with no failed test"},
		// Nor does one that someone stopped.
		{Lane: "a", Failed: []string{"TestZ"}, Interrupted: true},
	} {
		require.NoError(t, r.record(res))
	}
	hist, err := ReadHistory(r.History)
	require.NoError(t, err)
	require.Len(t, hist, 7)
	flaky := FlakyTests(hist)
	assert.Equal(t, []Flaky{
		{Lane: "a", Test: "TestCatalog/random", Failed: 1, Runs: 3},
		{Lane: "a", Test: "TestX", Failed: 2, Runs: 3},
	}, flaky, "TestY failed every time: broken, not flaky")

	s := Summary([]Result{{Lane: "a", Passed: true, Seconds: 12, Dir: "/d/a"}, {Lane: "b", Failed: []string{"TestY"}, Seconds: 3, Dir: "/d/b"}, {Lane: "c", Interrupted: true, Dir: "/d/c"}}, hist)
	assert.Contains(t, s, "a                        PASS")
	assert.Contains(t, s, "c                        STOP")
	assert.Contains(t, s, "TestY")
	assert.Contains(t, s, "TestCatalog/random: failed 1 of 3 runs")
	assert.NotContains(t, s, "TestZ")
	assert.Contains(t, s, "no complete run of the default set")

	none, err := ReadHistory(filepath.Join(dir, "absent.jsonl"))
	require.NoError(t, err)
	assert.Empty(t, none)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{}\nnot json\n"), 0o644))
	_, err = ReadHistory(filepath.Join(dir, "bad.jsonl"))
	assert.ErrorContains(t, err, "bad.jsonl:2")
}

// The record counts the default set's complete runs back from the newest:
// runs of other sets, interrupted runs and runs cut short do not count.
func TestDefaultSetRecord(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 12, 8, 1, min, 0, 0, time.UTC) }
	lane := func(run string, start int, name string, passed bool, of int, failed ...string) Result {
		return Result{Lane: name, Run: run, Set: SetDefault, Of: of, Started: at(start), Passed: passed, Failed: failed}
	}
	hist := []Result{
		lane("r1", 0, "unit", true, 2), lane("r1", 1, "e2e", false, 2, "TestFaults/stop"),
		lane("r2", 10, "unit", true, 2), lane("r2", 11, "e2e", true, 2),
		// Hand-picked lanes and --all are other sets.
		{Lane: "e2e", Run: "x", Of: 1, Started: at(12), Failed: []string{"TestX"}},
		{Lane: "e2e", Run: "y", Set: SetAll, Of: 1, Started: at(13), Failed: []string{"TestX"}},
		// Stopped by hand: incomplete, whatever it says.
		lane("r3", 20, "unit", true, 2), {Lane: "e2e", Run: "r3", Set: SetDefault, Of: 2, Started: at(21), Interrupted: true, Failed: []string{"TestY"}},
		// Killed outright after one lane: incomplete.
		lane("r4", 30, "unit", false, 2, "TestU"),
		lane("r5", 40, "unit", true, 2), lane("r5", 41, "e2e", true, 2),
	}
	suites := Suites(hist, SetDefault)
	require.Len(t, suites, 5)
	assert.Equal(t, []bool{true, true, false, false, true}, []bool{suites[0].Complete, suites[1].Complete, suites[2].Complete, suites[3].Complete, suites[4].Complete})
	n, last := Streak(suites)
	assert.Equal(t, 2, n, "r5 and r2 passed; r4 and r3 are incomplete; r1 failed")
	require.NotNil(t, last)
	assert.Equal(t, "r1", last.Run)
	assert.Equal(t, []string{"e2e: TestFaults/stop"}, last.Failed)

	rec := Record(hist)
	assert.Contains(t, rec, "default set: 3 complete run(s) in the history; the newest 2 in a row passed whole")
	assert.Contains(t, rec, "run r1: e2e: TestFaults/stop")

	n, last = Streak(Suites(hist[2:4], SetDefault))
	assert.Equal(t, 1, n)
	assert.Nil(t, last)
}

// The default set's catalog lane names scenarios that exist: a renamed
// scenario would otherwise drop out of CI silently (go test -run matches
// nothing and passes).
func TestCoreScenariosExist(t *testing.T) {
	var names []string
	for _, sc := range scenarios.Catalog() {
		names = append(names, sc.Name)
	}
	for _, n := range CoreScenarios {
		assert.Contains(t, names, n, "core scenario %q is not in the catalog", n)
	}
}
