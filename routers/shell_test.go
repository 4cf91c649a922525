package routers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The shells behind a router's Exec give what a one-shot docker exec gives:
// stdout and stderr apart (output without a final newline kept as is),
// arguments passed verbatim, exit statuses as *ExitError, no command
// reading the shell's own script, many commands at once; and after the
// container restarts, the next command runs in a new shell.
func TestShellExecutor(t *testing.T) {
	r := loneRouter(t, "sh")
	once := NewDockerExecutor(r.docker, r.ctr.GetContainerID())
	ctx := t.Context()

	for _, cmd := range [][]string{
		{"sh", "-c", "printf 'out'; printf 'err' >&2"},
		{"printf", "%s|", "it's", "two words", "$HOME", "`x`", ""},
		{"vtysh", "-c", "show bgp summary json"},
		{"sh", "-c", "exit 3"},
		{"cat"}, // stdin is /dev/null: returns at once
	} {
		wantOut, wantErr, wantE := once.Exec(ctx, cmd)
		gotOut, gotErr, gotE := r.Exec(ctx, cmd)
		require.Equal(t, string(wantOut), string(gotOut), "stdout of %q", cmd)
		require.Equal(t, string(wantErr), string(gotErr), "stderr of %q", cmd)
		require.Equal(t, wantE == nil, gotE == nil, "error of %q: docker exec %v, shell %v", cmd, wantE, gotE)
		if wantE != nil {
			require.True(t, IsExitError(gotE), "shell error of %q is no ExitError: %v", cmd, gotE)
			var w, g *ExitError
			require.ErrorAs(t, wantE, &w)
			require.ErrorAs(t, gotE, &g)
			require.Equal(t, w.Code, g.Code, "exit status of %q", cmd)
		}
	}

	// docker exec says so in its own words; the shell's is sh's.
	_, _, err := r.Exec(ctx, []string{"no-such-command"})
	var missing *ExitError
	require.ErrorAs(t, err, &missing)
	require.Equal(t, 127, missing.Code)

	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() {
			out, _, err := r.Exec(ctx, []string{"sh", "-c", fmt.Sprintf("sleep 0.2; echo %d", i)})
			if err == nil && strings.TrimSpace(string(out)) != fmt.Sprint(i) {
				err = fmt.Errorf("command %d printed %q", i, out)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, _, err = r.Exec(short, []string{"sleep", "5"})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	require.NoError(t, r.Restart(ctx))
	out, _, err := r.Exec(ctx, []string{"echo", "back"})
	require.NoError(t, err, "the first command after a restart")
	require.Equal(t, "back\n", string(out))
}
