package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
)

// interruptPoints are moments of `peerlab up`, recognised by a line of its
// output, at which the test sends SIGINT: networks and the egress guard in
// place; kind half-way through creating the cluster; routers starting
// while MetalLB is applied.
var interruptPoints = []string{
	"networks and egress guard done",
	"Starting control-plane",
	"metallb ...",
}

// TestInterruptedUp interrupts `peerlab up` at several points across its
// phases and asserts that nothing of the lab remains: containers, kind
// nodes, networks, iptables chains, state. PEERLAB_INTERRUPTS=N runs N
// interrupted ups, cycling over the points (the goal: 20 in a row, 0
// leftovers). The default is one at each of the first two points: the
// third phase (routers and MetalLB coming up) is where TestInterruptedLane
// interrupts its lane's lab, so the default lane covers each phase once
// (the third point cost 73 s of CI's budget a second time).
func TestInterruptedUp(t *testing.T) {
	n := len(interruptPoints) - 1
	if s := os.Getenv("PEERLAB_INTERRUPTS"); s != "" {
		v, err := strconv.Atoi(s)
		require.NoError(t, err, "PEERLAB_INTERRUPTS")
		n = v
	}
	bin := filepath.Join(t.TempDir(), "peerlab")
	build := exec.Command("go", "build", "-o", bin, "../cmd/peerlab")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build peerlab: %s", out)

	for i := range n {
		point := interruptPoints[i%len(interruptPoints)]
		t.Run(fmt.Sprintf("%02d-%s", i+1, strings.Fields(point)[0]), func(t *testing.T) {
			id := randomID(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			// Whatever happens, the lab goes (and a leak fails the test
			// below before this sweeps it).
			t.Cleanup(func() { harness.Remove(context.Background(), id) })
			cmd := exec.CommandContext(ctx, bin, "up", "--id", id)
			cmd.Dir = ".." // the checkout: the image kit builds peerlab's own images from it
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			cmd.Stdout = io.Discard
			start := time.Now()
			require.NoError(t, cmd.Start())
			seen, tail := waitForLine(stderr, point)
			require.Truef(t, seen, "peerlab up never printed %q; its last lines:\n%s", point, tail)
			sent := time.Since(start)
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			go io.Copy(io.Discard, stderr)
			err = cmd.Wait()
			t.Logf("SIGINT at %q (%.1fs into up); peerlab exited %.1fs later", point, sent.Seconds(), time.Since(start).Seconds()-sent.Seconds())
			assert.Error(t, err, "an interrupted up must not exit 0")
			assert.Empty(t, leftovers(t, id), "lab %s left these behind after SIGINT at %q", id, point)
			assert.NoDirExists(t, filepath.Join(cmd.Dir, "peerlab-artifacts", id), "an interrupted up is removed, not dumped")
		})
	}
}

// waitForLine reads lines until one contains want; it returns the last
// lines read when the stream ends first.
func waitForLine(r io.Reader, want string) (bool, string) {
	sc := bufio.NewScanner(r)
	var last []string
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, want) {
			return true, ""
		}
		last = append(last, line)
		if len(last) > 20 {
			last = last[1:]
		}
	}
	return false, strings.Join(last, "\n")
}

// leftovers lists whatever of lab id still exists on this machine.
func leftovers(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	list := func(what string, args ...string) {
		b, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot check: %v", what, err))
			return
		}
		for _, f := range strings.Fields(string(b)) {
			out = append(out, what+" "+f)
		}
	}
	list("container", "docker", "ps", "-a", "--filter", "label=io.peerlab.lab="+id, "--format", "{{.Names}}")
	list("kind node", "docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=peerlab-"+id, "--format", "{{.Names}}")
	list("network", "docker", "network", "ls", "--filter", "label=io.peerlab.lab="+id, "--format", "{{.Name}}")
	list("volume", "docker", "volume", "ls", "--filter", "label=io.peerlab.lab="+id, "--format", "{{.Name}}")
	chain := "PEERLAB-" + strings.ToUpper(id)
	for _, ipt := range []string{"iptables-save", "ip6tables-save"} {
		b, err := exec.Command(ipt).Output()
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot check: %v", ipt, err))
			continue
		}
		if strings.Contains(string(b), chain) {
			out = append(out, ipt+" chain "+chain)
		}
	}
	root, err := harness.StateRoot()
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(root, id)); err == nil {
		out = append(out, "state "+filepath.Join(root, id))
	}
	return out
}

func randomID(t *testing.T) string {
	b := make([]byte, 3)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// TestInterruptedLane sends SIGINT to the matrix runner while its lane's lab
// is coming up (its routers are starting, beside MetalLB: the phase with
// the most kinds of things to remove), as a user stopping a local run or a
// CI job being cancelled would: the runner must stop the lane and nothing
// of the lab may remain.
func TestInterruptedLane(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "peerlab")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/peerlab").CombinedOutput()
	require.NoError(t, err, "build peerlab: %s", out)
	before := labIDs(t)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// The inner run's directory (its lane's output.log, JUnit, dumps) goes
	// with this test's artifacts, so a failure here can be read afterwards.
	runDir := artifactsDir(t)
	require.NoError(t, os.RemoveAll(runDir))
	cmd := exec.CommandContext(ctx, bin, "matrix", "--lane", "ipv4-frr-multi-hop", "--dir", runDir)
	cmd.Dir = ".."
	// The runner's own output is kept: when this test fails, it is what
	// says how far the lane got and what its clean-up did.
	var runnerOut lockedBuffer
	cmd.Stdout, cmd.Stderr = &runnerOut, &runnerOut
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the runner printed:\n%s", lastLines(runnerOut.String(), 80))
		}
	})
	start := time.Now()
	require.NoError(t, cmd.Start())
	var id string
	t.Cleanup(func() {
		if id != "" {
			harness.Remove(context.Background(), id)
		}
	})
	// The lane's lab: a new lab id with a kind node and a router.
	deadline := time.Now().Add(10 * time.Minute)
	for id == "" && time.Now().Before(deadline) {
		for l := range labIDs(t) {
			if before[l] {
				continue
			}
			nodes, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.x-k8s.kind.cluster=peerlab-"+l).Output()
			rtrs, _ := exec.Command("docker", "ps", "-q", "--filter", "label=io.peerlab.lab="+l, "--filter", "label="+routers.LabelComponent+"="+routers.ComponentRouter).Output()
			if len(strings.TrimSpace(string(nodes))) > 0 && len(strings.TrimSpace(string(rtrs))) > 0 {
				id = l
			}
		}
		if id == "" {
			time.Sleep(time.Second)
		}
	}
	require.NotEmpty(t, id, "the lane's lab never got a kind node and a router within 10 minutes")
	sent := time.Since(start)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	t.Logf("SIGINT to the runner %.1fs into the lane (lab %s); it exited %.1fs later", sent.Seconds(), id, time.Since(start).Seconds()-sent.Seconds())
	assert.Error(t, err, "an interrupted lane must not exit 0")
	assert.Empty(t, leftovers(t, id), "lab %s left these behind after SIGINT to the runner", id)
}

// labIDs are the ids of the labs whose containers exist now.
func labIDs(t *testing.T) map[string]bool {
	t.Helper()
	b, err := exec.Command("docker", "ps", "-a", "--filter", "label=io.peerlab.lab", "--format", `{{.Label "io.peerlab.lab"}}`).Output()
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, f := range strings.Fields(string(b)) {
		ids[f] = true
	}
	return ids
}

// lockedBuffer collects a child's stdout and stderr (written from two
// goroutines of exec).
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lastLines is the end of s, at most n lines.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
