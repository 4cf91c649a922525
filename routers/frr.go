package routers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
)

// DefaultImage is the FRR image routers start from unless WithImage says
// otherwise. Any image with FRR's container conventions works (entrypoint
// that starts the daemons listed in /etc/frr/daemons from /etc/frr/frr.conf,
// vtysh, frr-reload.py, iproute2), e.g. upstream quay.io/frrouting/frr.
const DefaultImage = images.FRRImage

// Labels put on every container this package creates. LabelLab is what
// Sweep selects on; the harness puts the same label on everything else a lab
// creates, so one sweep clears a lab.
const (
	LabelLab        = "io.peerlab.lab"
	LabelComponent  = "io.peerlab.component"
	LabelHostname   = "io.peerlab.router"
	ComponentRouter = "router"
)

// reloadScript is FRR's own tool for applying a changed frr.conf to running
// daemons: it diffs the running configuration against the file and sends
// only the difference through vtysh, so sessions that did not change stay up.
const reloadScript = "/usr/lib/frr/frr-reload.py"

// Attachment is a router's place on one Docker network.
type Attachment struct {
	Network string
	// IPv4 and IPv6 are the fixed addresses asked for; after Start they hold
	// the addresses the router actually got (the zero Addr for none).
	IPv4, IPv6 netip.Addr
}

// Option configures Start.
type Option func(*startOptions)

type startOptions struct {
	image       string
	networks    []Attachment
	labels      map[string]string
	namePrefix  string
	logger      tclog.Logger
	stopTimeout time.Duration
	pollEvery   time.Duration
	noDefault   bool
}

// WithoutDockerDefaultRoute removes the default routes Docker gives the
// container (towards the host, through the network's gateway) before FRR
// starts. Removed afterwards, they were there while FRR already answered:
// a router answering a node's early BGP connection (a native speaker dials
// as soon as it has its peers) sent its reply through the host, out of the
// lab's networks. Static routes in the spec come in when staticd starts.
func WithoutDockerDefaultRoute() Option { return func(o *startOptions) { o.noDefault = true } }

// FreshPidFiles is what an FRR container's start runs before FRR: it
// deletes the daemons' pid files. A restarted container keeps its files (a
// speaker pod its emptyDir volumes) but gets a new PID namespace, numbered
// from 1 again, and watchfrr's first "restart all" sends SIGINT to
// whichever process now holds a dead daemon's number, then waits up to
// 120 s for it to end. Any pid file there at start is stale: its daemons
// died with the container.
const FreshPidFiles = "rm -f /var/run/frr/*.pid; "

// entrypoint runs the image's own start (tini, then FRR's docker-start,
// which the upstream FRR image and peerlab's both have) without stale pid
// files and, with noDefault, after dropping Docker's default routes.
func entrypoint(noDefault bool) []string {
	script := FreshPidFiles
	if noDefault {
		script += "ip -4 route flush default 2>/dev/null; ip -6 route flush default 2>/dev/null; "
	}
	return []string{"/sbin/tini", "--", "/bin/sh", "-c", script + "exec /usr/lib/frr/docker-start"}
}

// WithImage starts the router from image (which must exist locally: nothing
// is pulled) instead of DefaultImage.
func WithImage(image string) Option { return func(o *startOptions) { o.image = image } }

// WithNetwork attaches the router to an existing Docker network with fixed
// addresses; pass the zero netip.Addr for a family to let Docker pick (or
// to have none, on a network without it). The first network given is the one
// the container is created on.
func WithNetwork(name string, ipv4, ipv6 netip.Addr) Option {
	return func(o *startOptions) {
		o.networks = append(o.networks, Attachment{Network: name, IPv4: ipv4, IPv6: ipv6})
	}
}

// WithLab labels the container as part of lab id, for Sweep.
func WithLab(id string) Option {
	return func(o *startOptions) { o.labels[LabelLab] = id }
}

// WithLabels adds container labels.
func WithLabels(labels map[string]string) Option {
	return func(o *startOptions) { maps.Copy(o.labels, labels) }
}

// WithNamePrefix sets the start of the container name; the Spec's hostname
// and a random suffix follow, so two labs never clash on names.
func WithNamePrefix(prefix string) Option { return func(o *startOptions) { o.namePrefix = prefix } }

// WithLogf sends testcontainers-go's progress messages to logf (t.Logf in
// tests). They are discarded otherwise.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *startOptions) { o.logger = logfLogger(logf) }
}

// WithStopTimeout bounds how long Stop waits for a clean shutdown before
// Docker kills the container (default 5 s).
func WithStopTimeout(d time.Duration) Option { return func(o *startOptions) { o.stopTimeout = d } }

type logfLogger func(format string, args ...any)

func (l logfLogger) Printf(format string, args ...any) { l(format, args...) }

// FRR is a running router container. Its methods are safe for concurrent use.
type FRR struct {
	// Querier answers typed queries about the router's state.
	*Querier

	name        string
	ctr         *testcontainers.DockerContainer
	docker      *client.Client
	exec        *ShellExecutor
	networks    []Attachment
	stopTimeout time.Duration
	pollEvery   time.Duration

	mu         sync.Mutex
	spec       Spec
	terminated bool
}

// Start creates and starts a router container from spec and returns once
// FRR has loaded the configuration (vtysh answers and shows it). On error
// nothing is left behind.
func Start(ctx context.Context, spec Spec, opts ...Option) (_ *FRR, err error) {
	conf, err := spec.Render()
	if err != nil {
		return nil, err
	}
	o := startOptions{
		image: DefaultImage, labels: map[string]string{}, namePrefix: "peerlab-",
		logger: tclog.NewNoopLogger(), stopTimeout: 5 * time.Second, pollEvery: 100 * time.Millisecond,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.networks) == 0 {
		// Without a network Docker would use its default bridge, which
		// masquerades to the outside world: a lab must never end up there.
		return nil, errors.New("start router: no network given (use WithNetwork)")
	}
	if !testcontainers.ReadConfig().RyukDisabled {
		// Ryuk's image cannot be pulled here, and Sweep does its job by label.
		return nil, errors.New("start router: testcontainers' Ryuk reaper is enabled; " +
			"set TESTCONTAINERS_RYUK_DISABLED=true (or ryuk.disabled=true in ~/.testcontainers.properties)")
	}

	docker, err := NewDockerClient()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			docker.Close()
		}
	}()
	if _, err := docker.ImageInspect(ctx, o.image); err != nil {
		return nil, fmt.Errorf("start router %s: image %s is not available locally (nothing is pulled; build it first): %w",
			spec.Hostname, o.image, err)
	}

	name := o.namePrefix + spec.Hostname + "-" + randomSuffix()
	labels := map[string]string{LabelComponent: ComponentRouter, LabelHostname: spec.Hostname}
	maps.Copy(labels, o.labels)

	first, rest := o.networks[0], o.networks[1:]
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:           o.image,
			Name:            name,
			Labels:          labels,
			Networks:        []string{first.Network},
			AlwaysPullImage: false,
			Files: []testcontainers.ContainerFile{
				{Reader: strings.NewReader(conf.FRRConf), ContainerFilePath: FRRConfPath, FileMode: 0o644},
				{Reader: strings.NewReader(conf.Daemons), ContainerFilePath: DaemonsPath, FileMode: 0o644},
				{Reader: strings.NewReader(conf.VtyshConf), ContainerFilePath: VtyshConfPath, FileMode: 0o644},
			},
			ConfigModifier: func(c *container.Config) {
				c.Hostname = spec.Hostname
				c.Entrypoint = entrypoint(o.noDefault)
			},
			HostConfigModifier: func(hc *container.HostConfig) {
				// Docker's embedded DNS forwards names it does not know to
				// the host's resolver, out of the lab. A router resolves
				// nothing, so any query it makes goes to its own loopback,
				// where nothing answers, instead.
				hc.DNS = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
				// zebra refuses to start without NET_ADMIN, and SYS_ADMIN
				// lets FRR manage namespaces; --privileged is never needed.
				// SYS_NICE lets bfdd run ahead of the lab's other work
				// (boostBFD).
				hc.CapAdd = []string{"NET_ADMIN", "SYS_ADMIN", "SYS_NICE"}
				// /proc/sys is read-only inside, so routing sysctls are
				// set at creation. Hash policy 1 (L4) spreads flows of one
				// client over ECMP next hops; policy 0 pins them to one.
				hc.Sysctls = map[string]string{
					"net.ipv4.ip_forward":                "1",
					"net.ipv6.conf.all.forwarding":       "1",
					"net.ipv6.conf.all.disable_ipv6":     "0",
					"net.ipv4.fib_multipath_hash_policy": "1",
					"net.ipv6.fib_multipath_hash_policy": "1",
					// Strict reverse-path filtering would drop the
					// asymmetric paths that ECMP and failover create.
					"net.ipv4.conf.all.rp_filter":     "0",
					"net.ipv4.conf.default.rp_filter": "0",
					// Keep IPv6 addresses through a link flap (a fault
					// the lab injects); the kernel drops them by default
					// and Docker's static ones would never come back.
					"net.ipv6.conf.all.keep_addr_on_down": "1",
				}
			},
			EndpointSettingsModifier: func(eps map[string]*network.EndpointSettings) {
				if ep := eps[first.Network]; ep != nil {
					ep.IPAMConfig = ipamConfig(first)
				}
			},
			LifecycleHooks: []testcontainers.ContainerLifecycleHooks{{
				// testcontainers connects extra networks without their
				// addresses (and Docker 20.10 takes one network at
				// creation), so the rest are connected here, before start.
				PostCreates: []testcontainers.ContainerHook{func(ctx context.Context, c testcontainers.Container) error {
					for _, a := range rest {
						_, err := docker.NetworkConnect(ctx, a.Network, client.NetworkConnectOptions{
							Container:      c.GetContainerID(),
							EndpointConfig: &network.EndpointSettings{IPAMConfig: ipamConfig(a)},
						})
						if err != nil {
							return fmt.Errorf("connect network %s: %w", a.Network, err)
						}
					}
					return nil
				}},
			}},
		},
		Started: true,
		Logger:  o.logger,
	}

	ctr, err := testcontainers.GenericContainer(ctx, req)
	var dc *testcontainers.DockerContainer
	if ctr != nil {
		dc, _ = ctr.(*testcontainers.DockerContainer)
	}
	if err != nil {
		if dc != nil {
			err = errors.Join(err, dc.Terminate(context.WithoutCancel(ctx)))
		}
		return nil, fmt.Errorf("start router %s: %w", spec.Hostname, err)
	}
	if dc == nil {
		return nil, fmt.Errorf("start router %s: unexpected container type %T", spec.Hostname, ctr)
	}

	exec := NewShellExecutor(docker, dc.GetContainerID())
	f := &FRR{
		Querier: NewQuerier(exec), name: name, ctr: dc, docker: docker, exec: exec,
		stopTimeout: o.stopTimeout, pollEvery: o.pollEvery, spec: spec.Clone(),
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, dc.Terminate(context.WithoutCancel(ctx)))
		}
	}()
	if f.networks, err = f.inspectNetworks(ctx, o.networks); err != nil {
		return nil, err
	}
	if err := f.waitReady(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

func ipamConfig(a Attachment) *network.EndpointIPAMConfig {
	if !a.IPv4.IsValid() && !a.IPv6.IsValid() {
		return nil
	}
	return &network.EndpointIPAMConfig{IPv4Address: a.IPv4, IPv6Address: a.IPv6}
}

func (f *FRR) inspectNetworks(ctx context.Context, asked []Attachment) ([]Attachment, error) {
	info, err := f.docker.ContainerInspect(ctx, f.ctr.GetContainerID(), client.ContainerInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("inspect router %s: %w", f.name, err)
	}
	var out []Attachment
	for _, a := range asked {
		ep := info.Container.NetworkSettings.Networks[a.Network]
		if ep == nil {
			return nil, fmt.Errorf("router %s is not attached to network %s", f.name, a.Network)
		}
		got := Attachment{Network: a.Network, IPv4: ep.IPAddress, IPv6: ep.GlobalIPv6Address}
		if (a.IPv4.IsValid() && got.IPv4 != a.IPv4) || (a.IPv6.IsValid() && got.IPv6 != a.IPv6) {
			return nil, fmt.Errorf("router %s on %s got %s %s, asked for %s %s", f.name, a.Network, got.IPv4, got.IPv6, a.IPv4, a.IPv6)
		}
		out = append(out, got)
	}
	return out, nil
}

// waitReady polls until vtysh answers and the running configuration shows
// what Start or Restart loaded. vtysh answering is not enough on its own:
// the daemons come up before the configuration is applied to them.
func (f *FRR) waitReady(ctx context.Context) error {
	spec := f.Spec()
	anchors := []string{"log file " + spec.LogFile()}
	if spec.ASN != 0 {
		anchors = append(anchors, fmt.Sprintf("router bgp %d", spec.ASN))
	}
	err := wait.Until(ctx, 0, f.pollEvery, func(ctx context.Context) error {
		running, err := f.RunningConfig(ctx)
		if err != nil {
			return err
		}
		for _, a := range anchors {
			if !strings.Contains(running, a) {
				return fmt.Errorf("running configuration does not show %q yet", a)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("router %s not ready: %w%s", f.name, err, f.logTail(context.WithoutCancel(ctx)))
	}
	f.boostBFD(ctx)
	return nil
}

// bfdNice is the nice value of the router's bfdd. A lab runs its routers,
// a cluster and every BFD session on a few cores; under load bfdd's 300 ms
// transmit timer ran hundreds of milliseconds late ("CPU starvation" in
// FRR's log) and peers declared sessions down. bfdd needs little CPU, only
// promptly. (The speakers' bfdd get the same from peerlab-cnid.)
const bfdNice = -10

// boostBFD renices every thread of bfdd (nice is per thread on Linux). It
// is best effort: an image without renice, or a bfdd that is not running,
// leaves the router as it was, working, only less punctual under load.
func (f *FRR) boostBFD(ctx context.Context) {
	script := fmt.Sprintf(`for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = bfdd ] || continue; for t in $p/task/*; do renice -n %d -p "${t##*/}" >/dev/null; done; done`, bfdNice)
	_, _, _ = f.exec.Exec(ctx, []string{"sh", "-c", script})
}

// logTail is the end of the FRR log and the container's output, for errors
// that leave the caller nothing else to look at.
func (f *FRR) logTail(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var b strings.Builder
	if out, _, err := f.exec.Exec(ctx, []string{"tail", "-n", "20", f.Spec().LogFile()}); err == nil && len(out) > 0 {
		b.WriteString("\nFRR log:\n" + string(out))
	}
	if rc, err := f.ctr.Logs(ctx); err == nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(rc)
		rc.Close()
		if s := strings.TrimSpace(buf.String()); s != "" {
			lines := strings.Split(s, "\n")
			b.WriteString("\ncontainer output:\n" + strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
	}
	return b.String()
}

// Name is the container name.
func (f *FRR) Name() string { return f.name }

// ID is the container ID.
func (f *FRR) ID() string { return f.ctr.GetContainerID() }

// Spec is the configuration last started or applied. Its lists are the
// caller's own: editing a neighbor or peer group of the copy, as a test
// breaking a router does before Apply, must not change what the router
// believes it runs (nor what a later restore goes back to).
func (f *FRR) Spec() Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec.Clone()
}

// Networks lists the router's attachments with their actual addresses.
func (f *FRR) Networks() []Attachment { return append([]Attachment(nil), f.networks...) }

// IPv4 is the router's IPv4 address on the named network (zero if none).
func (f *FRR) IPv4(network string) netip.Addr { return f.attachment(network).IPv4 }

// IPv6 is the router's IPv6 address on the named network (zero if none).
func (f *FRR) IPv6(network string) netip.Addr { return f.attachment(network).IPv6 }

func (f *FRR) attachment(network string) Attachment {
	for _, a := range f.networks {
		if a.Network == network {
			return a
		}
	}
	return Attachment{}
}

// Exec runs cmd in the router container; FRR implements Executor.
func (f *FRR) Exec(ctx context.Context, cmd []string) ([]byte, []byte, error) {
	return f.exec.Exec(ctx, cmd)
}

// Apply reconfigures the running router to spec without restarting it:
// the new frr.conf replaces the old one (so a Restart keeps it) and
// frr-reload.py applies the difference live.
func (f *FRR) Apply(ctx context.Context, spec Spec) error {
	conf, err := spec.Render()
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ctr.CopyToContainer(ctx, []byte(conf.FRRConf), FRRConfPath, 0o644); err != nil {
		return fmt.Errorf("apply to router %s: copy frr.conf: %w", f.name, err)
	}
	stdout, stderr, err := f.exec.Exec(ctx, []string{reloadScript, "--reload", "--stdout", FRRConfPath})
	if err != nil {
		// Put the last good file back so a later Restart does not load a
		// configuration that was never applied; the running state may still
		// be partly changed, which the error says.
		err = fmt.Errorf("apply to router %s: frr-reload (running configuration may be partly changed): %w\n%s%s",
			f.name, err, stdout, stderr)
		if old, rerr := f.spec.Render(); rerr == nil {
			if cerr := f.ctr.CopyToContainer(context.WithoutCancel(ctx), []byte(old.FRRConf), FRRConfPath, 0o644); cerr != nil {
				err = errors.Join(err, fmt.Errorf("restore previous frr.conf: %w", cerr))
			}
		}
		return err
	}
	f.spec = spec.Clone()
	return nil
}

// Pause freezes every process of the router (docker pause): to its peers it
// goes silent, as a hung node does, while its interfaces stay up.
func (f *FRR) Pause(ctx context.Context) error {
	if _, err := f.docker.ContainerPause(ctx, f.ID(), client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pause router %s: %w", f.name, err)
	}
	return nil
}

// Unpause resumes a paused router.
func (f *FRR) Unpause(ctx context.Context) error {
	if _, err := f.docker.ContainerUnpause(ctx, f.ID(), client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("unpause router %s: %w", f.name, err)
	}
	return nil
}

// Stop stops the container (FRR shuts down and its sessions close).
func (f *FRR) Stop(ctx context.Context) error {
	timeout := f.stopTimeout
	if err := f.ctr.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("stop router %s: %w", f.name, err)
	}
	return nil
}

// Start starts a stopped router and waits until it is ready again. It comes
// back with the configuration last started or applied.
func (f *FRR) Start(ctx context.Context) error {
	if err := f.ctr.Start(ctx); err != nil {
		return fmt.Errorf("start router %s: %w", f.name, err)
	}
	return f.waitReady(ctx)
}

// Restart stops and starts the router.
func (f *FRR) Restart(ctx context.Context) error {
	if err := f.Stop(ctx); err != nil {
		return err
	}
	return f.Start(ctx)
}

// Terminate removes the container, paused or not, and releases the Docker
// client. It is safe to call more than once.
func (f *FRR) Terminate(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.terminated {
		return nil
	}
	// docker stop would wait out its timeout on frozen processes.
	if st, err := f.ctr.State(ctx); err == nil && st.Paused {
		_ = f.Unpause(ctx)
	}
	err := f.ctr.Terminate(ctx)
	if err != nil && cerrdefs.IsNotFound(err) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("terminate router %s: %w", f.name, err)
	}
	f.terminated = true
	f.exec.Close()
	f.docker.Close()
	return nil
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
