package e2e

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// TestSideBySide: two labs of the same builtin come up at the same time on
// one host, the second in the next free slot of subnets, and both pass the
// core checks with nothing leaving either lab. It logs what each lab takes
// in memory.
func TestSideBySide(t *testing.T) {
	ctx := testContext(t)
	kit, err := newKit()
	require.NoError(t, err)
	topo := inFamily(t, topologies.SingleHop())
	labs := make([]*harness.Lab, 2)
	for i := range labs {
		labs[i], err = harness.New(topo, harness.WithImages(kit), harness.WithOutput(testWriter{t}), harness.WithFreeSubnets())
		require.NoError(t, err)
		lab := labs[i]
		t.Cleanup(func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if t.Failed() {
				dir := artifactsDir(t) + "/" + lab.ID()
				if err := lab.Dump(cctx, dir); err != nil {
					t.Logf("dump: %v", err)
				}
			}
			if err := lab.Down(cctx); err != nil {
				t.Errorf("lab %s down: %v", lab.ID(), err)
			}
		})
	}
	start := time.Now()
	errs := make([]error, len(labs))
	var wg sync.WaitGroup
	for i, lab := range labs {
		wg.Go(func() { errs[i] = lab.Up(ctx) })
	}
	wg.Wait()
	for i, lab := range labs {
		require.NoError(t, errs[i], "lab %s up", lab.ID())
	}
	t.Logf("both labs up in %s", time.Since(start).Round(time.Second))
	a, b := labs[0].Topology().Networks, labs[1].Topology().Networks
	for i := range a {
		require.NotEqual(t, a[i].IPv4, b[i].IPv4, "network %s: both labs on %s", a[i].Name, a[i].IPv4)
		t.Logf("network %s: lab %s on %s %s, lab %s on %s %s", a[i].Name, labs[0].ID(), a[i].IPv4, a[i].IPv6, labs[1].ID(), b[i].IPv4, b[i].IPv6)
	}
	for _, lab := range labs {
		t.Run("lab "+lab.ID(), func(t *testing.T) {
			coreChecks(t, ctx, lab)
			assertNoEgress(t, ctx, lab)
			t.Logf("lab %s uses %s of memory", lab.ID(), labMemory(ctx, lab))
		})
	}
}

// labMemory sums what Docker reports for a lab's containers (kind nodes,
// routers, clients).
func labMemory(ctx context.Context, lab *harness.Lab) string {
	out, err := exec.CommandContext(ctx, "docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var total float64
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !strings.Contains(f[0], lab.ID()) {
			continue
		}
		total += parseMiB(f[1])
	}
	return formatFloat(total) + " MiB"
}

// parseMiB reads Docker's memory figures ("512.3MiB", "1.2GiB", "300KiB").
func parseMiB(s string) float64 {
	for _, u := range []struct {
		suffix string
		mib    float64
	}{{"GiB", 1024}, {"MiB", 1}, {"KiB", 1.0 / 1024}, {"B", 1.0 / (1024 * 1024)}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			return f * u.mib
		}
	}
	return 0
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }
