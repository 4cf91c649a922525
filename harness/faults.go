package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
)

// FaultKind names a fault the lab can inject into itself.
type FaultKind string

const (
	// FaultLink takes the target's interface on a network down (undo: up).
	// The kernel deletes the routes through it; the lab puts its own back
	// when the link returns (nodes: peerlab-cnid; routers and clients:
	// their FRR's static routes).
	FaultLink FaultKind = "link"
	// FaultPause freezes every process of a node, router or client (undo:
	// unpause). A paused node's kernel still forwards packets, so this is
	// not the same fault as a dead node.
	FaultPause FaultKind = "pause"
	// FaultStop stops a node's, router's or client's container (undo:
	// start; a node gets its routes back and rejoins the cluster).
	FaultStop FaultKind = "stop"
	// FaultDropBGP and FaultDropBFD drop BGP (TCP 179) or BFD (UDP 3784,
	// 3785, 4784) packets on the target's interface on a network, in one
	// direction or both (undo: the rules go).
	FaultDropBGP FaultKind = "drop-bgp"
	FaultDropBFD FaultKind = "drop-bfd"
	// FaultSpeaker deletes the MetalLB speaker pod on a node; its DaemonSet
	// makes a new one. One-shot: there is nothing to undo.
	FaultSpeaker FaultKind = "speaker"
	// FaultRestart restarts a router's or client's container. One-shot.
	FaultRestart FaultKind = "restart"
	// FaultFRR restarts the FRR daemons of a router (watchfrr restarts them
	// after they are killed). One-shot.
	FaultFRR FaultKind = "frr"
)

// FaultKinds lists every kind, for usage messages.
func FaultKinds() []FaultKind {
	return []FaultKind{FaultLink, FaultPause, FaultStop, FaultDropBGP, FaultDropBFD, FaultSpeaker, FaultRestart, FaultFRR, FaultWrongASN, FaultMD5}
}

// OneShot: the fault has no undo (the lab heals by itself).
func (k FaultKind) OneShot() bool {
	return k == FaultSpeaker || k == FaultRestart || k == FaultFRR
}

// Direction of a traffic drop, seen from the target.
type Direction string

const (
	Both    Direction = "both"
	Inbound Direction = "in"
	Outward Direction = "out"
)

// Fault is one fault, addressed by topology names.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Target is a node (control-plane, worker, worker2, ...), a router or
	// a client.
	Target string `json:"target"`
	// Network: for link and drop faults, which of the target's networks
	// (default: the target's only one; nodes are on cluster.network).
	Network string `json:"network,omitempty"`
	// Direction: for drop faults (default both).
	Direction Direction `json:"direction,omitempty"`
}

func (f Fault) String() string {
	s := string(f.Kind) + " " + f.Target
	if f.Network != "" {
		s += " on " + f.Network
	}
	if f.Direction != "" && f.Direction != Both {
		s += " (" + string(f.Direction) + ")"
	}
	return s
}

// faultTarget is what a topology name resolves to.
type faultTarget struct {
	container string
	node      bool         // a kind node
	router    bool         // an FRR router (not a client)
	networks  []string     // the target's topology networks
	gateways  []netip.Addr // a client's default gateways
}

func (l *Lab) faultTarget(ctx context.Context, name string) (faultTarget, error) {
	if _, ok := l.topo.Router(name); ok {
		c, err := l.containerName(name)
		r, _ := l.topo.Router(name)
		var nets []string
		for _, a := range r.Interfaces {
			nets = append(nets, a.Network)
		}
		return faultTarget{container: c, router: true, networks: nets}, err
	}
	for _, c := range l.topo.Clients {
		if c.Name == name {
			cn, err := l.containerName(name)
			var gws []netip.Addr
			if via, ok := l.topo.Router(c.Via); ok {
				if att, ok := via.Interface(c.Network); ok {
					gws = []netip.Addr{att.IPv4, att.IPv6}
				}
			}
			return faultTarget{container: cn, networks: []string{c.Network}, gateways: gws}, err
		}
	}
	nodes, err := l.Nodes(ctx)
	if err != nil {
		return faultTarget{}, err
	}
	var known []string
	for _, n := range nodes {
		if n.Short() == name || n.Name == name {
			return faultTarget{container: n.Name, node: true, networks: []string{l.topo.Cluster.Network}}, nil
		}
		known = append(known, n.Short())
	}
	for _, r := range l.topo.Routers {
		known = append(known, r.Name)
	}
	for _, c := range l.topo.Clients {
		known = append(known, c.Name)
	}
	sort.Strings(known)
	return faultTarget{}, fmt.Errorf("lab %s has no node, router or client %q (have: %s)", l.id, name, strings.Join(known, ", "))
}

// containerName of a router or client, started here or attached.
func (l *Lab) containerName(name string) (string, error) {
	if f, ok := l.routers[name]; ok {
		return f.Name(), nil
	}
	if h, ok := l.clients[name]; ok {
		return h.Name(), nil
	}
	if c, ok := l.attached[name]; ok {
		return c, nil
	}
	return "", fmt.Errorf("lab %s: no container for %q (is the lab up?)", l.id, name)
}

// check resolves a fault's target and defaults, or says what is wrong.
func (l *Lab) checkFault(ctx context.Context, f *Fault) (faultTarget, error) {
	if !slices.Contains(FaultKinds(), f.Kind) {
		return faultTarget{}, fmt.Errorf("unknown fault %q (want one of %v)", f.Kind, FaultKinds())
	}
	t, err := l.faultTarget(ctx, f.Target)
	if err != nil {
		return t, err
	}
	switch f.Kind {
	case FaultLink, FaultDropBGP, FaultDropBFD:
		if f.Network == "" {
			if len(t.networks) != 1 {
				return t, fmt.Errorf("%s: %s is on %s; name one with --network", f.Kind, f.Target, strings.Join(t.networks, ", "))
			}
			f.Network = t.networks[0]
		}
		if !slices.Contains(t.networks, f.Network) {
			return t, fmt.Errorf("%s: %s is not on network %q (it is on %s)", f.Kind, f.Target, f.Network, strings.Join(t.networks, ", "))
		}
	case FaultSpeaker:
		if !t.node {
			return t, fmt.Errorf("speaker: %s is not a node", f.Target)
		}
	case FaultFRR, FaultWrongASN, FaultMD5:
		if !t.router {
			return t, fmt.Errorf("%s: %s is not a router", f.Kind, f.Target)
		}
	case FaultRestart:
		if t.node {
			return t, fmt.Errorf("restart: %s is a node; use stop and start (or Lab.RestartNode)", f.Target)
		}
	}
	if f.Kind == FaultDropBGP || f.Kind == FaultDropBFD {
		if f.Direction == "" {
			f.Direction = Both
		}
		if !slices.Contains([]Direction{Both, Inbound, Outward}, f.Direction) {
			return t, fmt.Errorf("%s: direction %q (want both, in or out)", f.Kind, f.Direction)
		}
	} else if f.Direction != "" {
		return t, fmt.Errorf("%s: a direction applies to drop faults only", f.Kind)
	}
	return t, nil
}

// Inject applies a fault to the running lab and returns when it took
// effect: stamped inside the container for link changes and FRR restarts
// (the lab shares the host's clock), else when Docker or the API server
// answered. Faults that have an undo are recorded in the lab's state, so
// Undo works from another process and Down clears them (a paused container
// is unpaused before removal).
func (l *Lab) Inject(ctx context.Context, f Fault) (time.Time, error) {
	t, err := l.checkFault(ctx, &f)
	if err != nil {
		return time.Time{}, err
	}
	if !f.Kind.OneShot() {
		active, err := l.ActiveFaults()
		if err != nil {
			return time.Time{}, err
		}
		if slices.Contains(active, f) {
			return time.Time{}, fmt.Errorf("fault %s is already in place; undo it first", f)
		}
	}
	at, err := l.applyFault(ctx, f, t, true)
	if err != nil {
		return at, fmt.Errorf("fault %s: %w", f, err)
	}
	if f.Kind.OneShot() {
		return at, nil
	}
	return at, l.recordFault(f, true)
}

// Undo takes back a fault Inject applied and returns when that took effect
// (as Inject does).
func (l *Lab) Undo(ctx context.Context, f Fault) (time.Time, error) {
	if f.Kind.OneShot() {
		return time.Time{}, fmt.Errorf("%s has no undo: the lab heals by itself (wait for green)", f.Kind)
	}
	t, err := l.checkFault(ctx, &f)
	if err != nil {
		return time.Time{}, err
	}
	at, err := l.applyFault(ctx, f, t, false)
	if err != nil {
		return at, fmt.Errorf("undo %s: %w", f, err)
	}
	return at, l.recordFault(f, false)
}

// UndoAll takes back every fault in place, newest first.
func (l *Lab) UndoAll(ctx context.Context) error {
	active, err := l.ActiveFaults()
	if err != nil {
		return err
	}
	var errs []error
	for i := len(active) - 1; i >= 0; i-- {
		_, err := l.Undo(ctx, active[i])
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ActiveFaults lists the faults in place, oldest first.
func (l *Lab) ActiveFaults() ([]Fault, error) {
	b, err := os.ReadFile(l.stateFile("faults.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var fs []Fault
	if err := json.Unmarshal(b, &fs); err != nil {
		return nil, fmt.Errorf("lab %s faults: %w", l.id, err)
	}
	return fs, nil
}

func (l *Lab) recordFault(f Fault, on bool) error {
	fs, err := l.ActiveFaults()
	if err != nil {
		return err
	}
	fs = slices.DeleteFunc(fs, func(g Fault) bool { return g == f })
	if on {
		fs = append(fs, f)
	}
	if err := os.MkdirAll(l.stateDir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(l.stateFile("faults.json"), b, 0o644)
}

func (l *Lab) applyFault(ctx context.Context, f Fault, t faultTarget, on bool) (time.Time, error) {
	mc, err := routers.NewDockerClient()
	if err != nil {
		return time.Time{}, err
	}
	defer mc.Close()
	ex := routers.NewDockerExecutor(mc, t.container)
	// Docker and API faults are stamped when they were asked for: a stop
	// starts taking effect (SIGTERM) long before Docker answers.
	asked := time.Now()
	then := func(err error) (time.Time, error) { return asked, err }
	switch f.Kind {
	case FaultLink:
		dev, err := l.interfaceOn(ctx, ex, t.container, f.Network)
		if err != nil {
			return time.Time{}, err
		}
		if on {
			return stamped(ctx, ex, "ip link set dev "+dev+" down")
		}
		up := "ip link set dev " + dev + " up"
		if t.node && f.Network == l.topo.Cluster.Network {
			// The kernel took the node's routes through dev away with the
			// link; they go back in the same exec as the link comes up.
			// Left to the node's routes daemon, which notices within a
			// second unless an API call of its own hangs on the dead link,
			// the default route came back before the return path to the
			// clients: the egress guard counted two SYN-ACKs leaving through
			// the host 3 s after the link was up.
			script, err := nodeRouteScript(l.topo, dev)
			if err != nil {
				return time.Time{}, err
			}
			up += "; " + script
		}
		return stamped(ctx, ex, up)
	case FaultPause:
		if on {
			return then(l.docker.ContainerPause(ctx, t.container))
		}
		return then(l.docker.ContainerUnpause(ctx, t.container))
	case FaultStop:
		if on {
			timeout := 10
			return then(l.docker.ContainerStop(ctx, t.container, container.StopOptions{Timeout: &timeout}))
		}
		start := func() error { return l.docker.ContainerStart(ctx, t.container, container.StartOptions{}) }
		if t.node {
			start = func() error { return l.startNodeIsolated(ctx, t.container) }
		}
		if err := start(); err != nil {
			return time.Time{}, err
		}
		return then(l.afterStart(ctx, t))
	case FaultDropBGP, FaultDropBFD:
		dev, err := l.interfaceOn(ctx, ex, t.container, f.Network)
		if err != nil {
			return time.Time{}, err
		}
		return stamped(ctx, ex, dropScript(f, dev, on))
	case FaultSpeaker:
		pods, err := l.cluster.client.CoreV1().Pods(MetalLBNamespace).List(ctx, metav1.ListOptions{
			LabelSelector: SpeakerSelector, FieldSelector: "spec.nodeName=" + t.container})
		if err != nil {
			return time.Time{}, err
		}
		if len(pods.Items) == 0 {
			return time.Time{}, fmt.Errorf("no speaker pod on %s", t.container)
		}
		for _, p := range pods.Items {
			if err := l.cluster.client.CoreV1().Pods(MetalLBNamespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				return time.Time{}, err
			}
		}
		return asked, nil
	case FaultRestart:
		timeout := 5
		if err := l.docker.ContainerRestart(ctx, t.container, container.StopOptions{Timeout: &timeout}); err != nil {
			return time.Time{}, err
		}
		return then(l.afterStart(ctx, t))
	case FaultWrongASN, FaultMD5:
		r, _ := l.topo.Router(f.Target)
		script, err := peerFaultScript(r, f.Kind, on)
		if err != nil {
			return time.Time{}, err
		}
		return stamped(ctx, ex, script)
	case FaultFRR:
		// watchfrr notices the dead daemons and starts them again with the
		// saved configuration, as after a crash.
		return stamped(ctx, ex, "pkill -KILL -x bgpd; pkill -KILL -x bfdd; pkill -KILL -x zebra; true")
	}
	return time.Time{}, fmt.Errorf("unknown fault %q", f.Kind)
}

// stamped runs a shell command in a container and returns the container's
// clock just before it ran (the host's clock: containers share its kernel).
func stamped(ctx context.Context, ex routers.Executor, cmd string) (time.Time, error) {
	out, stderr, err := ex.Exec(ctx, []string{"sh", "-c", "date +%s%N; " + cmd})
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %v: %s", cmd, err, strings.TrimSpace(string(stderr)))
	}
	first, _, _ := strings.Cut(string(out), "\n")
	ns, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: no time stamp in %q", cmd, out)
	}
	return time.Unix(0, ns), nil
}

// afterStart puts back what a container start changes: a node's static
// routes (its routes daemon would too, once its pod runs); on a router or
// client, Docker's default route towards the host comes back and goes
// again, and a client's default routes point at its router once more.
func (l *Lab) afterStart(ctx context.Context, t faultTarget) error {
	mc, err := routers.NewDockerClient()
	if err != nil {
		return err
	}
	defer mc.Close()
	ex := routers.NewDockerExecutor(mc, t.container)
	return wait.Until(ctx, 30*time.Second, 500*time.Millisecond, func(ctx context.Context) error {
		if t.node {
			for _, r := range l.topo.Cluster.Routes {
				if err := run(ctx, ex, "ip", "route", "replace", r.Prefix.String(), "via", r.Via.String()); err != nil {
					return err
				}
			}
			return nil
		}
		if err := dropDefaultRoutes(ctx, ex); err != nil {
			return err
		}
		for _, gw := range t.gateways {
			if !gw.IsValid() {
				continue
			}
			fam := "-4"
			if gw.Is6() {
				fam = "-6"
			}
			if err := run(ctx, ex, "ip", fam, "route", "replace", "default", "via", gw.String()); err != nil {
				return err
			}
		}
		return nil
	})
}

// interfaceOn finds the container's interface on a lab network by the MAC
// address Docker gave its endpoint there.
func (l *Lab) interfaceOn(ctx context.Context, ex routers.Executor, ctr, network string) (string, error) {
	info, err := l.docker.ContainerInspect(ctx, ctr)
	if err != nil {
		return "", err
	}
	ep, ok := info.NetworkSettings.Networks[l.NetworkName(network)]
	if !ok || ep.MacAddress == "" {
		return "", fmt.Errorf("%s has no endpoint on %s", ctr, l.NetworkName(network))
	}
	out, stderr, err := ex.Exec(ctx, []string{"ip", "-o", "link", "show"})
	if err != nil {
		return "", fmt.Errorf("ip link: %v: %s", err, stderr)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "link/ether "+ep.MacAddress) {
			continue
		}
		// "12: eth0@if13: <...> ... link/ether 02:42:..."
		f := strings.Fields(line)
		if len(f) > 1 {
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			return name, nil
		}
	}
	return "", fmt.Errorf("%s: no interface with MAC %s (network %s)", ctr, ep.MacAddress, network)
}

// dropScript is the shell script that adds (on) or removes the filter
// rules of a drop fault, in both IP families, in INPUT, OUTPUT and FORWARD
// (a transit router forwards the sessions it drops), as one exec so that
// its time stamp is when the first rule went in.
func dropScript(f Fault, dev string, on bool) string {
	type match struct{ proto, port string }
	var ms []match
	if f.Kind == FaultDropBGP {
		ms = []match{{"tcp", "179"}}
	} else {
		ms = []match{{"udp", "3784"}, {"udp", "3785"}, {"udp", "4784"}}
	}
	op := "-I"
	if !on {
		op = "-D"
	}
	var rules [][]string
	if f.Direction != Outward {
		rules = append(rules, []string{"INPUT", "-i", dev}, []string{"FORWARD", "-i", dev})
	}
	if f.Direction != Inbound {
		rules = append(rules, []string{"OUTPUT", "-o", dev}, []string{"FORWARD", "-o", dev})
	}
	var cmds []string
	for _, bin := range []string{"iptables", "ip6tables"} {
		for _, m := range ms {
			for _, side := range []string{"--dport", "--sport"} {
				for _, r := range rules {
					cmds = append(cmds, fmt.Sprintf("%s -w 5 %s %s -p %s %s %s -m comment --comment 'peerlab fault %s' -j DROP",
						bin, op, strings.Join(r, " "), m.proto, side, m.port, f.Kind))
				}
			}
		}
	}
	// Every rule is tried; the script fails if any failed.
	return "rc=0; " + strings.Join(cmds, " || rc=1; ") + " || rc=1; exit $rc"
}

func run(ctx context.Context, ex routers.Executor, args ...string) error {
	if _, stderr, err := ex.Exec(ctx, args); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(stderr)))
	}
	return nil
}

// unpauseAll unpauses the lab's paused containers so that removal works.
func (l *Lab) unpauseAll(ctx context.Context) error {
	if l.docker == nil {
		return nil
	}
	list, err := l.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("status", "paused"))})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list {
		mine := c.Labels[routers.LabelLab] == l.id
		for _, n := range c.Names {
			mine = mine || strings.HasPrefix(strings.TrimPrefix(n, "/"), l.ClusterName()+"-")
		}
		if mine {
			errs = append(errs, l.docker.ContainerUnpause(ctx, c.ID))
		}
	}
	return errors.Join(errs...)
}
