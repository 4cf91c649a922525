package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// Tests that only need a healthy lab of a topology, and leave it healthy,
// share one: the first brings it up, the next ones of the same go test run
// use it as it is, and TestMain takes it down at the end. On two cores a
// lab-up is 90-100 s, so the default set's single-hop lane (TestSingleHop,
// TestBrokenPeer, TestFaults) saves two of them. Each test still proves
// the lab green with its own checks; a test that fails dumps the lab into
// its own artifacts and takes it down, so the next test gets a fresh one
// and a failure cannot spill over.
var shared = struct {
	mu   sync.Mutex
	labs map[string]*sharedEntry
}{labs: map[string]*sharedEntry{}}

type sharedEntry struct {
	lab *harness.Lab
	out *switchWriter
	by  string // the test that brought it up
}

// sharedLab returns the running shared lab of topo, bringing it up first
// if this run has none.
func sharedLab(t *testing.T, ctx context.Context, topo topologies.Topology) *harness.Lab {
	t.Helper()
	key := topologyKey(t, topo)
	shared.mu.Lock()
	e := shared.labs[key]
	shared.mu.Unlock()
	if e != nil {
		e.out.set(t)
		t.Logf("lab %s (%s), brought up by %s, is shared: this test starts from the state that test left it in", e.lab.ID(), topo.Name, e.by)
	} else {
		kit, err := newKit()
		require.NoError(t, err)
		w := &switchWriter{}
		w.set(t)
		lab, err := harness.New(topo, harness.WithImages(kit), harness.WithOutput(w), harness.WithFreeSubnets())
		require.NoError(t, err, "topology %s", topo.Name)
		e = &sharedEntry{lab: lab, out: w, by: t.Name()}
		shared.mu.Lock()
		shared.labs[key] = e
		shared.mu.Unlock()
		start := time.Now()
		err = lab.Up(ctx)
		t.Logf("phases of lab %s:\n%s", lab.ID(), harness.PhaseTable(lab.Timings()))
		if err != nil {
			// The cleanup below dumps it and takes it down.
			t.Cleanup(func() { dropShared(t, key, e) })
			require.NoError(t, err, "lab up")
		}
		t.Logf("lab %s up in %s", lab.ID(), time.Since(start).Round(time.Second))
	}
	t.Cleanup(func() {
		if t.Failed() {
			dropShared(t, key, e)
			return
		}
		// The test is over: its log can take no more lines.
		e.out.set(nil)
	})
	return e.lab
}

// dropShared dumps a shared lab into t's artifacts and takes it down.
func dropShared(t *testing.T, key string, e *sharedEntry) {
	shared.mu.Lock()
	if shared.labs[key] != e {
		shared.mu.Unlock()
		return
	}
	delete(shared.labs, key)
	shared.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := artifactsDir(t)
	if err := e.lab.Dump(ctx, dir); err != nil {
		t.Logf("dump: %v", err)
	}
	t.Logf("artifacts of the failed lab: %s (the next test that needs it gets a fresh lab)", dir)
	err := e.lab.Down(ctx)
	e.out.set(nil)
	if err != nil {
		t.Errorf("lab down: %v", err)
	}
}

// downShared takes every shared lab down (TestMain, after the tests).
func downShared() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var errs []error
	for key, e := range shared.labs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := e.lab.Down(ctx); err != nil {
			errs = append(errs, fmt.Errorf("lab %s: %w", e.lab.ID(), err))
		}
		cancel()
		delete(shared.labs, key)
	}
	if len(errs) > 0 {
		return fmt.Errorf("shared labs down: %v", errs)
	}
	return nil
}

// topologyKey identifies a topology by its whole content: two tests share
// a lab only when they asked for exactly the same one.
func topologyKey(t *testing.T, topo topologies.Topology) string {
	b, err := json.Marshal(topo)
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// switchWriter sends a shared lab's progress to the log of the test using
// it, and to stderr between tests (a finished test's log takes no lines).
type switchWriter struct {
	mu sync.Mutex
	t  *testing.T
}

func (w *switchWriter) set(t *testing.T) {
	w.mu.Lock()
	w.t = t
	w.mu.Unlock()
}

func (w *switchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Log(string(trimNewline(p)))
		return len(p), nil
	}
	return os.Stderr.Write(p)
}
