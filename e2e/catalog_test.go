package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// TestCatalog runs the whole scenario catalog on one reference lab (four
// upstream routers: eBGP and iBGP, single-hop and multi-hop, BFD and MD5 on
// all, a client). Each scenario is a subtest starting from the reference
// topology, so `go test ./e2e -run 'TestCatalog/communities'` runs one. The
// per-scenario times go to the test log and to scenarios.json in the
// artifacts directory.
func TestCatalog(t *testing.T) {
	ctx := testContext(t)
	base := inFamily(t, topologies.Reference())
	lab := upLab(t, ctx, base)
	coreChecks(t, ctx, lab)

	dir := artifactsDir(t)
	suite := &scenarios.Suite{Lab: lab, Base: lab.Topology(), Out: testWriter{t}, Artifacts: dir}
	var results []scenarios.Result
	for _, sc := range scenarios.Catalog() {
		if ctx.Err() != nil {
			// Interrupted (SIGINT, the test's deadline): each scenario left
			// would only fail and dump the lab (20 s each, measured), which
			// would hold up the lab's removal.
			t.Errorf("catalog stopped before %s: %v", sc.Name, context.Cause(ctx))
			break
		}
		t.Run(sc.Name, func(t *testing.T) {
			res := suite.Run(ctx, sc)
			results = append(results, res)
			for _, st := range res.Steps {
				t.Logf("step %q: applied in %.1fs, green after %.1fs %s", st.Name, st.ApplySeconds, st.GreenSeconds, st.Error)
				if st.Waited != "" {
					t.Logf("step %q was slow to go green; the last failure seen before it was: %s", st.Name, st.Waited)
				}
			}
			switch res.Status {
			case scenarios.Skip:
				t.Skip(res.Reason)
			case scenarios.Fail:
				t.Fatalf("%s (dump: %s)", res.Reason, res.Artifacts)
			}
			t.Logf("PASS in %.1fs", res.Seconds)
		})
	}
	interrupted := ctx.Err() != nil
	if !interrupted {
		_, err := lab.Apply(ctx, lab.Topology())
		require.NoError(t, err, "put the reference topology back")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	summary, err := scenarios.WriteReport(filepath.Join(dir, "scenarios.json"), results)
	require.NoError(t, err)
	var total time.Duration
	for _, r := range results {
		total += r.Duration
	}
	t.Logf("catalog: %s in %s (report: %s)", summary, total.Round(time.Second), filepath.Join(dir, "scenarios.json"))
	if !interrupted {
		assertNoEgress(t, ctx, lab)
	}
}
