package routers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A restarted router starts FRR whatever pid files its last run left. Its
// PID namespace starts again from 1, and watchfrr's first "restart all"
// sends SIGINT to whichever process holds a dead daemon's number. Planted
// here as PID 1 (tini, which passes the signal on to FRR's start script,
// which then stops FRR and exits), they must not stop the router.
func TestStartWithStalePidFiles(t *testing.T) {
	r := loneRouter(t, "pid")
	ctx := t.Context()

	require.NoError(t, r.Stop(ctx))
	for _, d := range []string{"zebra", "bgpd"} {
		require.NoError(t, r.ctr.CopyToContainer(ctx, []byte("1\n"), "/var/run/frr/"+d+".pid", 0o644))
	}
	// Without the fix, FRR's start script waits out its 120 s for PID 1
	// to end.
	start, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, r.Start(start), "FRR starts past pid files naming PID 1")
	out, _, err := r.Exec(ctx, []string{"sh", "-c", "cat /var/run/frr/bgpd.pid; pidof bgpd"})
	require.NoError(t, err)
	lines := strings.Fields(string(out))
	require.Len(t, lines, 2, "bgpd's pid file and its process: %q", out)
	require.Equal(t, lines[1], lines[0], "bgpd's pid file names the running bgpd")
}
