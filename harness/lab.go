// Package harness turns a topology into a running lab: Docker networks with
// an egress guard, a kind cluster, FRR routers and clients, MetalLB in FRR
// mode with the topology's BGP and BFD settings, and a backend service of
// type LoadBalancer. Scenarios then ask the lab's parts questions.
//
//	lab, err := harness.New(topologies.SingleHop())
//	err = lab.Up(ctx)
//	defer lab.Down(ctx)
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// Lab is one lab: everything it creates carries its id.
type Lab struct {
	topo  topologies.Topology
	id    string
	out   io.Writer
	outMu sync.Mutex

	// speakers holds one executor per speaker pod (by namespace, name and
	// UID, to *speakerExec): see SpeakerExecutors.
	speakers sync.Map
	kit      *images.Kit
	stateDir string

	refs     images.Refs
	docker   *client.Client
	networks []*labNetwork
	guard    *egressGuard
	cluster  *kindCluster
	routers  map[string]*routers.FRR // started by this process
	clients  map[string]*routers.Host
	execs    map[string]routers.Executor // routers and clients by name, also for attached labs
	attached map[string]string           // container names by topology name, for attached labs
	timings  []PhaseTiming
	upStart  time.Time

	overrides   images.Refs // WithImageRefs
	freeSubnets bool        // WithFreeSubnets
	placeLock   *os.File    // held from choosing subnets until the networks exist
}

// PhaseTiming is how long one phase of Up took. Phases after the cluster
// run in two lanes at once (routers and clients; images, MetalLB and the
// workload), so Start says where in Up a phase began.
type PhaseTiming struct {
	Phase    string
	Start    time.Duration // since Up began
	Duration time.Duration
}

// Option configures a Lab.
type Option func(*Lab) error

// WithID fixes the lab id (default: random). Ids are 6 lowercase hex
// digits so every derived name (bridge names have 15 characters) fits.
func WithID(id string) Option {
	return func(l *Lab) error {
		if len(id) != 6 || strings.Trim(id, "0123456789abcdef") != "" {
			return fmt.Errorf("lab id %q: want 6 lowercase hex digits", id)
		}
		l.id = id
		return nil
	}
}

// WithOutput sets where progress goes (default os.Stderr).
func WithOutput(w io.Writer) Option { return func(l *Lab) error { l.out = w; return nil } }

// WithImages sets the image kit (default: images.New() in auto mode).
func WithImages(k *images.Kit) Option { return func(l *Lab) error { l.kit = k; return nil } }

// WithImageRefs runs the given references instead of the kit's for those
// images: MetalLB under development (images.Kit.MetalLBSource) or images
// given by reference. Each must be present in the local Docker (the lab
// loads it into its nodes); Up refuses one that is not before creating
// anything.
func WithImageRefs(refs images.Refs) Option {
	return func(l *Lab) error {
		for n, r := range refs {
			if r == "" {
				return fmt.Errorf("image %s: empty reference", n)
			}
		}
		l.overrides = refs
		return nil
	}
}

// WithStateDir sets where the lab keeps its kubeconfig and topology
// (default: $XDG_STATE_HOME/peerlab/labs/<id>, else ~/.local/state/...).
func WithStateDir(dir string) Option { return func(l *Lab) error { l.stateDir = dir; return nil } }

// New validates the topology (applying its defaults) and returns a Lab that
// is not up yet. Nothing is created.
func New(t topologies.Topology, opts ...Option) (*Lab, error) {
	prepared, err := t.Prepare()
	if err != nil {
		return nil, fmt.Errorf("topology %q: %w", t.Name, err)
	}
	if _, err := backendOf(prepared); err != nil {
		return nil, err
	}
	l := &Lab{topo: prepared, out: os.Stderr, routers: map[string]*routers.FRR{}, clients: map[string]*routers.Host{}, execs: map[string]routers.Executor{}}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	if l.id == "" {
		b := make([]byte, 3)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		l.id = hex.EncodeToString(b)
	}
	if l.stateDir == "" {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("no state directory: set XDG_STATE_HOME or use WithStateDir: %w", err)
			}
			base = filepath.Join(home, ".local", "state")
		}
		l.stateDir = filepath.Join(base, "peerlab", "labs", l.id)
	}
	l.networks = networkPlan(l.id, l.topo)
	var bridges []string
	for _, n := range l.networks {
		bridges = append(bridges, n.bridge)
	}
	l.guard = newEgressGuard(l.id, bridges)
	return l, nil
}

// ID is the lab's id; ClusterName the kind cluster's name.
func (l *Lab) ID() string          { return l.id }
func (l *Lab) ClusterName() string { return "peerlab-" + l.id }

// Topology is the lab's topology with defaults applied.
func (l *Lab) Topology() topologies.Topology { return l.topo }

// Timings are the durations of Up's phases so far.
func (l *Lab) Timings() []PhaseTiming {
	l.outMu.Lock()
	defer l.outMu.Unlock()
	return append([]PhaseTiming(nil), l.timings...)
}

// StateDir is where the lab's kubeconfig and topology are kept.
func (l *Lab) StateDir() string { return l.stateDir }

func (l *Lab) stateFile(name string) string { return filepath.Join(l.stateDir, name) }

// NetworkName is the Docker network of a topology network.
func (l *Lab) NetworkName(topoName string) string {
	for _, n := range l.networks {
		if n.topo.Name == topoName {
			return n.name
		}
	}
	return ""
}

func (l *Lab) logf(format string, args ...any) {
	l.outMu.Lock()
	defer l.outMu.Unlock()
	fmt.Fprintf(l.out, "lab %s: "+format+"\n", append([]any{l.id}, args...)...)
}

// phase runs one named step of Up, timing and reporting it. Phases of
// parallel lanes call it at once.
func (l *Lab) phase(name string, fn func() error) error {
	start := time.Now()
	l.logf("%s ...", name)
	err := fn()
	d := time.Since(start)
	l.outMu.Lock()
	l.timings = append(l.timings, PhaseTiming{Phase: name, Start: start.Sub(l.upStart), Duration: d})
	l.outMu.Unlock()
	if err != nil {
		l.logf("%s FAILED after %s", name, d.Round(100*time.Millisecond))
		return fmt.Errorf("%s: %w", name, err)
	}
	l.logf("%s done in %s", name, d.Round(100*time.Millisecond))
	return nil
}

// Up creates the lab. On error it leaves what it made in place, so the
// caller can Dump it before Down (tests register Down with t.Cleanup).
func (l *Lab) Up(ctx context.Context) error {
	return l.up(ctx, false)
}

// UpBare creates only the lab's networks and its kind cluster (the same
// node image, node count and kind configuration as Up): the baseline the
// lab-up benchmark compares a whole lab with. Down removes it.
func (l *Lab) UpBare(ctx context.Context) error {
	return l.up(ctx, true)
}

func (l *Lab) up(ctx context.Context, bare bool) error {
	l.upStart = time.Now()
	defer l.unlockPlacement()
	if err := l.preflight(ctx); err != nil {
		return err
	}
	first := []step{
		{"images", l.upImages},
		{"networks and egress guard", l.upNetworks},
		{"cluster", func(ctx context.Context) error { return l.upCluster(ctx, bare) }},
	}
	if err := l.runLane(ctx, first); err != nil {
		return err
	}
	if !bare {
		// Once the API server answers, the routers (which need the nodes'
		// addresses) and the in-cluster parts go up side by side; the
		// nodes turn Ready meanwhile.
		err := l.runLanes(ctx,
			[]step{{"routers and clients", l.upRouters}},
			[]step{
				{"load images into nodes", l.upLoadImages},
				{"metallb", l.upMetalLB},
				{"workload", l.upWorkload},
			},
		)
		if err != nil {
			return err
		}
	}
	return l.saveState()
}

// step is one phase of Up.
type step struct {
	name string
	fn   func(context.Context) error
}

// runLane runs phases one after another.
func (l *Lab) runLane(ctx context.Context, lane []step) error {
	for _, p := range lane {
		// Stop between phases too: a phase that cannot be cancelled
		// (kind's create) must not start once the lab is being abandoned.
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("before %s: %w", p.name, err)
		}
		if err := l.phase(p.name, func() error { return p.fn(ctx) }); err != nil {
			return err
		}
	}
	return nil
}

// runLanes runs lanes side by side; the first failure cancels the others,
// and every lane has stopped when it returns.
func (l *Lab) runLanes(ctx context.Context, lanes ...[]step) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = l.runLane(ctx, lane); errs[i] != nil {
				cancel(errs[i])
			}
		}()
	}
	wg.Wait()
	// Report the failure that started it, not the cancellations it caused.
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return errors.Join(errs...)
}

// preflight catches what would fail later, before anything is created.
func (l *Lab) preflight(ctx context.Context) error {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		// Ryuk's image cannot be pulled offline; the lab sweeps by label.
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	dc, err := newDockerClient()
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	if _, err := dc.Ping(ctx); err != nil {
		dc.Close()
		return fmt.Errorf("no Docker daemon answers (%v): run scripts/host-setup.sh as root", err)
	}
	l.docker = dc
	for n, r := range l.overrides {
		if _, err := dc.ImageInspect(ctx, r); err != nil {
			return fmt.Errorf("image %s: %s is not in the local Docker (%v): docker pull or build it first (a MetalLB tree: peerlab up --metallb-src DIR)", n, r, err)
		}
	}
	if err := l.place(ctx); err != nil {
		return err
	}
	if l.kit == nil {
		kit, err := images.New(images.WithProgress(l.out))
		if err != nil {
			return err
		}
		l.kit = kit
	}
	return nil
}

func (l *Lab) upImages(ctx context.Context) error {
	b, err := backendOf(l.topo)
	if err != nil {
		return err
	}
	refs, err := l.kit.Ensure(ctx, l.imageNames(b)...)
	if err != nil {
		return err
	}
	if img := l.topo.Cluster.NodeImage; img != "" {
		refs[images.Node] = img
	}
	for n, r := range l.overrides {
		refs[n] = r
	}
	l.refs = refs
	l.logf("MetalLB: controller %s, speaker %s, manifests %s", refs[images.MetalLBController], refs[images.MetalLBSpeaker], refs[images.Manifests])
	return nil
}

// imageNames are the images the lab runs with backend b, in the kit's
// build order: the routers' and clients' FRR, the manifests, the workload,
// the node, and MetalLB's.
func (l *Lab) imageNames(b backend) []images.Name {
	want := append([]images.Name{images.FRR, images.Manifests, images.Backend, images.Node}, metallbImages(b)...)
	var names []images.Name
	for _, n := range images.All {
		if slices.Contains(want, n) {
			names = append(names, n)
		}
	}
	return names
}

func (l *Lab) upNetworks(ctx context.Context) error {
	// State first, so 'peerlab status' and 'peerlab down' find a lab that
	// fails half-way; the guard next: nothing may leave from the moment a
	// bridge exists.
	if err := l.saveState(); err != nil {
		return err
	}
	if err := l.guard.install(ctx); err != nil {
		return err
	}
	for _, n := range l.networks {
		if err := createNetwork(ctx, l.docker, l.id, n); err != nil {
			return err
		}
	}
	// The networks now hold their subnets: the next lab sees them taken.
	l.unlockPlacement()
	return nil
}

func (l *Lab) upCluster(ctx context.Context, waitReady bool) error {
	kc, err := createCluster(ctx, l, l.NetworkName(l.topo.Cluster.Network), l.refs[images.Node], waitReady)
	l.cluster = kc
	if err != nil {
		return err
	}
	if err := installCoreDNS(ctx, kc.client, l.topo.Cluster); err != nil {
		return fmt.Errorf("coredns: %w", err)
	}
	if l.topo.Cluster.ControlPlaneAnnounces {
		if err := kc.allowControlPlaneAnnounce(ctx); err != nil {
			return err
		}
	}
	return kc.installNodeRoutes(l.topo)
}

func (l *Lab) upRouters(ctx context.Context) error {
	plan, err := l.Plan(ctx)
	if err != nil {
		return err
	}
	// Routers start at once, in waves: each start is mostly waiting
	// (container create, FRR's daemons), and one after another the
	// reference topology's five routers and client took 44 s, 16 s longer
	// than MetalLB beside them. A router whose static routes point at
	// another router waits for that one: until its entrypoint drops Docker's
	// default route, a starting router forwards what it gets through the
	// host, and the multi-hop routers' first SYNs to the nodes, sent
	// through a transit that had joined "core" but not yet "nodes", were
	// caught by the egress guard (in 4 of 5 frr-k8s catalog runs, and in a
	// reference lab brought up by the CLI). Whatever started is kept in the
	// maps for Down even if another start failed.
	type started struct {
		name   string
		router *routers.FRR
		client *routers.Host
		err    error
	}
	// Every spec first: a failure here must not leave starts running that
	// nobody waits for.
	specs := make(map[string]routers.Spec, len(l.topo.Routers))
	for _, r := range l.topo.Routers {
		if specs[r.Name], err = routerSpec(plan, r.Name); err != nil {
			return err
		}
	}
	var errs []error
	keep := func(results []started) {
		for _, res := range results {
			switch {
			case res.router != nil:
				l.routers[res.name] = res.router
				l.execs[res.name] = res.router
			case res.client != nil:
				l.clients[res.name] = res.client
				l.execs[res.name] = res.client
			}
			if res.err != nil {
				errs = append(errs, res.err)
			}
		}
	}
	// What every router and client container gets (a fresh slice each).
	common := func() []routers.Option {
		return []routers.Option{routers.WithImage(l.refs[images.FRR]), routers.WithLab(l.id),
			routers.WithNamePrefix("peerlab-" + l.id + "-"), routers.WithoutDockerDefaultRoute()}
	}
	for i, wave := range startWaves(l.topo) {
		var starts []func() started
		for _, r := range wave {
			spec := specs[r.Name]
			opts := common()
			for _, a := range r.Interfaces {
				opts = append(opts, routers.WithNetwork(l.NetworkName(a.Network), a.IPv4, a.IPv6))
			}
			starts = append(starts, func() started {
				res := started{name: r.Name}
				res.router, res.err = routers.Start(ctx, spec, opts...)
				// Without a default route, a packet the router has no
				// route for is dropped here instead of being sent to
				// the host.
				if res.err == nil {
					if err := dropDefaultRoutes(ctx, res.router); err != nil {
						res.err = fmt.Errorf("router %s: %w", r.Name, err)
					}
				}
				return res
			})
		}
		// Clients forward nothing and send nothing until a check curls:
		// they start with the first wave.
		var clients []topologies.Client
		if i == 0 {
			clients = l.topo.Clients
		}
		for _, c := range clients {
			via, _ := l.topo.Router(c.Via)
			att, _ := via.Interface(c.Network)
			opts := append(common(), routers.WithNetwork(l.NetworkName(c.Network), c.IPv4, c.IPv6))
			starts = append(starts, func() started {
				res := started{name: c.Name}
				res.client, res.err = routers.StartHost(ctx, c.Name, []netip.Addr{att.IPv4, att.IPv6}, opts...)
				if res.err != nil {
					res.err = fmt.Errorf("client %s: %w", c.Name, res.err)
				}
				return res
			})
		}
		results := make([]started, len(starts))
		var wg sync.WaitGroup
		for j, start := range starts {
			wg.Go(func() { results[j] = start() })
		}
		wg.Wait()
		keep(results)
		if len(errs) > 0 {
			break
		}
	}
	return errors.Join(errs...)
}

// startWaves orders the routers for upRouters: each wave holds the routers
// whose gateways (Topology.Gateways) are all in earlier waves. Routers that
// route through each other in a loop, and those behind them, start together
// in a last wave.
func startWaves(t topologies.Topology) [][]topologies.Router {
	done := map[string]bool{}
	var waves [][]topologies.Router
	left := slices.Clone(t.Routers)
	for len(left) > 0 {
		var wave, rest []topologies.Router
		for _, r := range left {
			if slices.ContainsFunc(t.Gateways(r), func(g string) bool { return !done[g] }) {
				rest = append(rest, r)
			} else {
				wave = append(wave, r)
			}
		}
		if len(wave) == 0 {
			wave, rest = rest, nil
		}
		for _, r := range wave {
			done[r.Name] = true
		}
		waves = append(waves, wave)
		left = rest
	}
	if len(waves) == 0 {
		// No routers: the clients still start (in the first wave).
		waves = append(waves, nil)
	}
	return waves
}

// dropDefaultRoutes removes Docker's default routes (towards the host) from
// a router container.
func dropDefaultRoutes(ctx context.Context, e routers.Executor) error {
	for _, fam := range []string{"-4", "-6"} {
		if _, stderr, err := e.Exec(ctx, []string{"ip", fam, "route", "flush", "default"}); err != nil {
			return fmt.Errorf("flush default route: %v: %s", err, stderr)
		}
	}
	return nil
}

func (l *Lab) upMetalLB(ctx context.Context) error {
	b, err := backendOf(l.topo)
	if err != nil {
		return err
	}
	objs, err := metallbManifest(ctx, l.refs, b)
	if err != nil {
		return err
	}
	if err := patchMetalLB(objs, l.refs, b); err != nil {
		return err
	}
	if objs, err = withMemberlistSecret(objs); err != nil {
		return err
	}
	if err := withWebhookCerts(objs); err != nil {
		return err
	}
	if api, ok, err := l.apiServerAddr(ctx); err != nil {
		return err
	} else if ok {
		if err := earlySpeakers(objs, api); err != nil {
			return err
		}
	}
	a, err := newApplier(l.cluster.rest)
	if err != nil {
		return err
	}
	crds, err := a.applyAll(ctx, objs)
	if err != nil {
		return err
	}
	// The workload's objects go in now, so its pods start with MetalLB's
	// rather than after them; the workload phase waits for them.
	if err := l.applyWorkload(ctx, a); err != nil {
		return err
	}
	plan, err := l.Plan(ctx)
	if err != nil {
		return err
	}
	objs, err = labObjects(plan, b)
	if err != nil {
		return err
	}
	// Applied as soon as MetalLB's webhook answers (it retries until then);
	// the speakers pick the configuration up whenever they start.
	if err := a.waitCRDs(ctx, crds); err != nil {
		return err
	}
	if err := applyMetalLBResources(ctx, a, objs); err != nil {
		return err
	}
	return waitMetalLBReady(ctx, l.cluster.client, b)
}

// apiServerAddr is the API server's address on the nodes' network, when
// one control-plane node serves it (with several, kind puts a load
// balancer in front and the lab leaves the speakers' API path alone).
func (l *Lab) apiServerAddr(ctx context.Context) (netip.AddrPort, bool, error) {
	if l.topo.Cluster.ControlPlanes != 1 {
		return netip.AddrPort{}, false, nil
	}
	nodes, err := l.Nodes(ctx)
	if err != nil {
		return netip.AddrPort{}, false, err
	}
	for _, n := range nodes {
		if n.Short() != l.topo.Cluster.NodeNames()[0] {
			continue
		}
		addr := n.IPv4
		if !addr.IsValid() {
			addr = n.IPv6
		}
		return netip.AddrPortFrom(addr, 6443), addr.IsValid(), nil
	}
	return netip.AddrPort{}, false, fmt.Errorf("lab %s: no control-plane node %q among %d nodes", l.id, l.topo.Cluster.NodeNames()[0], len(nodes))
}

// Down removes everything the lab made (also what a crashed run left): the
// kind cluster, containers and networks labelled with the lab id, the
// egress guard and the state directory. It reports how many packets the
// guard dropped, since a non-zero count means lab traffic tried to leave.
func (l *Lab) Down(ctx context.Context) error {
	if l.docker == nil {
		dc, err := newDockerClient()
		if err != nil {
			return err
		}
		l.docker = dc
	}
	defer l.docker.Close()
	return l.teardown(ctx)
}

// teardown removes everything labelled or named with the lab's id; it needs
// nothing but the id, so it also sweeps labs whose process died.
func (l *Lab) teardown(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	if v4, v6, err := l.guard.dropped(ctx); err == nil {
		l.logf("egress guard dropped %d IPv4 and %d IPv6 packets", v4, v6)
	}
	start := time.Now()
	var took []string
	mark := func(what string) {
		took = append(took, fmt.Sprintf("%s %.1fs", what, time.Since(start).Seconds()))
	}
	// A paused container (a fault left in place) cannot be removed.
	if err := l.unpauseAll(ctx); err != nil {
		errs = append(errs, fmt.Errorf("unpause: %w", err))
	}
	// The speakers' shells end before their cluster does: cut off by the
	// cluster's deletion, each of their streams logged an "Unhandled
	// Error" (websocket close 1006) into the test's output.
	l.speakers.Range(func(k, _ any) bool {
		if v, ok := l.speakers.LoadAndDelete(k); ok {
			v.(*speakerExec).e.Close()
		}
		return true
	})
	// The cluster and the labelled containers (routers, clients) go at
	// once: neither needs the other, and one after another they took most
	// of a lab's 16-18 s down. The networks go once both are done (kind's
	// nodes hang on the nodes' network until then).
	var wg sync.WaitGroup
	var kindErr, sweepErr error
	wg.Go(func() {
		if err := l.kindProvider().Delete(l.ClusterName(), ""); err != nil {
			kindErr = fmt.Errorf("delete kind cluster: %w", err)
		}
	})
	wg.Go(func() { sweepErr = routers.SweepContainers(ctx, l.id) })
	wg.Wait()
	mark("cluster and containers")
	errs = append(errs, kindErr, sweepErr)
	// Sweep: whatever labelled container is left, then the networks.
	if err := routers.Sweep(ctx, l.id); err != nil {
		errs = append(errs, err)
	}
	if err := removeLabNetworks(ctx, l.docker, l.id); err != nil {
		errs = append(errs, err)
	}
	mark("networks")
	if err := l.guard.remove(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(l.stateDir); err != nil {
		errs = append(errs, err)
	}
	mark("guard and state")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("lab %s down: %w", l.id, err)
	}
	l.logf("down (%s)", strings.Join(took, ", "))
	return nil
}

// ContainerName is the Docker container of a router or client.
func (l *Lab) ContainerName(name string) string {
	if f, ok := l.routers[name]; ok {
		return f.Name()
	}
	if h, ok := l.clients[name]; ok {
		return h.Name()
	}
	return l.attached[name]
}

// ImageRef is the reference the lab runs for an image.
func (l *Lab) ImageRef(n images.Name) string { return l.refs[n] }

// EgressDrops is how many packets the egress guard has dropped so far.
func (l *Lab) EgressDrops(ctx context.Context) (v4, v6 uint64, err error) {
	return l.guard.dropped(ctx)
}

// EgressLeaks returns the kernel log lines of the first packets the egress
// guard dropped (source, destination, ports): what tried to leave.
func (l *Lab) EgressLeaks(ctx context.Context) string { return l.guard.leaks(ctx) }

// Kubernetes returns the cluster's API clients.
func (l *Lab) Kubernetes() (kubernetes.Interface, *rest.Config, error) {
	if l.cluster == nil || l.cluster.client == nil {
		return nil, nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	return l.cluster.client, l.cluster.rest, nil
}

// Nodes lists the cluster's nodes with their addresses.
func (l *Lab) Nodes(ctx context.Context) ([]Node, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	return l.cluster.nodeInfo(ctx)
}

// Exec returns the executor of a router or client container by its
// topology name; routers.NewQuerier turns it into typed queries.
func (l *Lab) Exec(name string) (routers.Executor, error) {
	e, ok := l.execs[name]
	if !ok {
		var known []string
		for n := range l.execs {
			known = append(known, n)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("lab %s has no router or client %q (have: %s)", l.id, name, strings.Join(known, ", "))
	}
	return e, nil
}

// FRR returns a router this process started (for fault injection); labs
// attached from another process have only executors.
func (l *Lab) FRR(name string) (*routers.FRR, bool) {
	f, ok := l.routers[name]
	return f, ok
}
