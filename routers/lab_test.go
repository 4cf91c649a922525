package routers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// Environment knobs of the integration tests.
const (
	// envImage overrides the FRR image (e.g. quay.io/frrouting/frr:10.5.3).
	envImage = "PEERLAB_FRR_IMAGE"
	// envArtifacts is where failure dumps go (default: the temp dir).
	envArtifacts = "PEERLAB_ARTIFACTS"
)

func TestMain(m *testing.M) {
	// Ryuk (testcontainers' reaper) cannot be pulled here; the tests clean up
	// by label instead. This must be set before testcontainers reads its
	// configuration, which it does once per process.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	os.Exit(m.Run())
}

func testImage() string {
	if img := os.Getenv(envImage); img != "" {
		return img
	}
	return DefaultImage
}

// testLab is one integration test's world: its lab id, its networks and
// routers, and the teardown that removes them whatever happens.
type testLab struct {
	t       *testing.T
	id      string
	docker  *client.Client
	mu      sync.Mutex
	routers []*FRR
}

// newLab skips the test when Docker or the FRR image is unavailable, and
// registers the teardown: a dump of every router if the test failed, then
// Terminate, then a label sweep that also catches anything half-created.
func newLab(t *testing.T) *testLab {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped in -short mode")
	}
	docker, err := NewDockerClient()
	if err != nil {
		t.Skipf("integration test needs Docker: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := docker.Ping(ctx, client.PingOptions{}); err != nil {
		docker.Close()
		t.Skipf("integration test needs a running Docker daemon (see scripts/host-setup.sh): %v", err)
	}
	if _, err := docker.ImageInspect(ctx, testImage()); err != nil {
		docker.Close()
		t.Skipf("integration test needs the FRR image %s locally (build it with the images kit, or set %s): %v",
			testImage(), envImage, err)
	}
	l := &testLab{t: t, id: "rt-" + randomSuffix() + randomSuffix(), docker: docker}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Sweep(ctx, l.id); err != nil {
			t.Errorf("sweep: %v", err)
		}
		docker.Close()
	})
	t.Cleanup(l.teardown)
	return l
}

func (l *testLab) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l.mu.Lock()
	routers := l.routers
	l.mu.Unlock()
	if l.t.Failed() && len(routers) > 0 {
		base := os.Getenv(envArtifacts)
		dir, err := os.MkdirTemp(base, "peerlab-routers-"+safeName(l.t.Name())+"-")
		if err != nil {
			l.t.Logf("artifacts: %v", err)
		} else {
			for _, r := range routers {
				if err := Dump(ctx, r, filepath.Join(dir, r.Spec().Hostname)); err != nil {
					l.t.Logf("dump %s (partial): %v", r.Name(), err)
				}
			}
			l.t.Logf("router dumps written to %s", dir)
		}
	}
	for _, r := range routers {
		if err := r.Terminate(ctx); err != nil {
			l.t.Errorf("terminate: %v", err)
		}
	}
}

func safeName(s string) string {
	return regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(s, "_")
}

// labNet is a Docker network of the test with its subnets.
type labNet struct {
	Name   string
	V4, V6 netip.Prefix
	hasV6  bool
}

// ip4 and ip6 return host n of the network (1 is Docker's gateway).
func (n labNet) ip4(host int) netip.Addr {
	a := n.V4.Addr().As4()
	a[3] = byte(host)
	return netip.AddrFrom4(a)
}

func (n labNet) ip6(host int) netip.Addr {
	if !n.hasV6 {
		return netip.Addr{}
	}
	a := n.V6.Addr().As16()
	a[15] = byte(host)
	return netip.AddrFrom16(a)
}

// Subnets are drawn at random from 172.28.16.0-172.28.239.255 (and the
// matching fd00:28:NN::/64) so two test runs on one host do not collide;
// 172.28.240.0/20 stays free for the addresses routers announce.
func randomSubnets() (netip.Prefix, netip.Prefix) {
	var b [2]byte
	_, _ = rand.Read(b[:])
	third := 16 + int(binary.BigEndian.Uint16(b[:]))%224
	v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 28, byte(third), 0}), 24)
	v6 := netip.MustParsePrefix(fmt.Sprintf("fd00:28:%x::/64", third))
	return v4, v6
}

// network creates a bridge network with masquerading off (nothing may leave
// the lab) and retries with other subnets when one is taken.
func (l *testLab) network(name string, ipv6 bool) labNet {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.t.Context(), 30*time.Second)
	defer cancel()
	var lastErr error
	for range 10 {
		v4, v6 := randomSubnets()
		n := labNet{Name: "peerlab-" + l.id + "-" + name, V4: v4, V6: v6, hasV6: ipv6}
		ipam := &network.IPAM{Config: []network.IPAMConfig{{Subnet: v4, Gateway: n.ip4(1)}}}
		if ipv6 {
			ipam.Config = append(ipam.Config, network.IPAMConfig{Subnet: v6, Gateway: n.ip6(1)})
		}
		_, err := l.docker.NetworkCreate(ctx, n.Name, client.NetworkCreateOptions{
			Driver:     "bridge",
			EnableIPv6: &ipv6,
			IPAM:       ipam,
			Options:    map[string]string{"com.docker.network.bridge.enable_ip_masquerade": "false"},
			Labels:     map[string]string{LabelLab: l.id, LabelComponent: "network"},
		})
		if err == nil {
			return n
		}
		lastErr = err
		if !strings.Contains(err.Error(), "overlap") && !cerrdefs.IsConflict(err) {
			break
		}
	}
	l.t.Fatalf("create network %s: %v", name, lastErr)
	return labNet{}
}

// on attaches a router to a network at host number host.
func on(n labNet, host int) Option { return WithNetwork(n.Name, n.ip4(host), n.ip6(host)) }

// loneRouter starts one router, r1 (AS 65001), alone on a new network.
func loneRouter(t *testing.T, network string) *FRR {
	t.Helper()
	lab := newLab(t)
	n := lab.network(network, false)
	return lab.start(map[string]Spec{"r1": {Hostname: "r1", ASN: 65001}}, map[string][]Option{"r1": {on(n, 2)}})["r1"]
}

// start starts routers concurrently (start-up is mostly waiting) and fails
// the test if any does not come up.
func (l *testLab) start(specs map[string]Spec, attach map[string][]Option) map[string]*FRR {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.t.Context(), 2*time.Minute)
	defer cancel()
	out := map[string]*FRR{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := map[string]error{}
	for name, spec := range specs {
		wg.Go(func() {
			opts := append([]Option{WithImage(testImage()), WithLab(l.id)}, attach[name]...)
			began := time.Now()
			r, err := Start(ctx, spec, opts...)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[name] = err
				return
			}
			l.t.Logf("router %s ready in %s", name, time.Since(began).Round(time.Millisecond))
			out[name] = r
			l.mu.Lock()
			l.routers = append(l.routers, r)
			l.mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range errs {
		l.t.Errorf("start %s: %v", name, err)
	}
	if len(errs) > 0 {
		l.t.FailNow()
	}
	return out
}

// await waits for checks on q, failing the test with the last error. It
// returns how long it took.
func await(t *testing.T, q *Querier, timeout time.Duration, what string, checks ...Check) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	began := time.Now()
	if err := q.Await(ctx, 100*time.Millisecond, checks...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return time.Since(began)
}

// sh runs a shell command in a container and fails the test on error.
func sh(t *testing.T, e Executor, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, stderr, err := e.Exec(ctx, []string{"sh", "-c", script})
	if err != nil {
		t.Fatalf("sh -c %q: %v\n%s%s", script, err, out, stderr)
	}
	return string(out)
}

// envCapture names a directory into which the integration tests write the
// raw FRR and iproute2 output that the parser tests use as testdata. It is
// how testdata/*.json was produced; see testdata/README.md.
const envCapture = "PEERLAB_CAPTURE_DIR"

// capture runs cmd in e and saves its stdout as file under $PEERLAB_CAPTURE_DIR
// (a no-op when it is unset).
func capture(t *testing.T, e Executor, file string, cmd ...string) {
	t.Helper()
	dir := os.Getenv(envCapture)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, stderr, err := e.Exec(ctx, cmd)
	if err != nil {
		t.Errorf("capture %s: %v\n%s", file, err, stderr)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("captured %s: %s", file, strings.Join(cmd, " "))
}

func vtyshCmd(command string) []string { return []string{"vtysh", "-c", command} }

// frrVersion returns the router's FRR version from `show version`
// ("FRRouting 10.3 (r1) on Linux", a missing patch level read as 0).
func frrVersion(t *testing.T, e Executor) [3]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, stderr, err := e.Exec(ctx, vtyshCmd("show version"))
	if err != nil {
		t.Fatalf("show version: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`FRRouting (\d+)\.(\d+)(?:\.(\d+))?`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("show version: no FRR version in %q", out)
	}
	var v [3]int
	for i, s := range m[1:] {
		v[i], _ = strconv.Atoi(s)
	}
	return v
}
