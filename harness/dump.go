package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/network"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/peerlab/peerlab/routers"
)

// Dump writes everything useful for a post-mortem under dir: each router's
// and each speaker's FRR state, the cluster's logs (kind's export), MetalLB's
// resources, pods, events and pod logs, the lab's Docker networks and the
// egress guard's counters. It keeps going past failures and lists them in
// dump-errors.txt; the returned error says only that something was missed.
func (l *Lab) Dump(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var problems []string
	note := func(what string, err error) {
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", what, err))
		}
	}
	names := make([]string, 0, len(l.execs))
	for n := range l.execs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, isRouter := l.topo.Router(n); isRouter {
			rdir := filepath.Join(dir, "routers", n)
			note("router "+n, routers.Dump(ctx, l.execs[n], rdir))
			note("diagnosis "+n, writeDiagnosis(ctx, l.execs[n], filepath.Join(rdir, "diagnosis.txt")))
			continue
		}
		note("client "+n, dumpCommands(ctx, l.execs[n], filepath.Join(dir, "clients", n)))
	}
	if l.cluster != nil && l.cluster.client != nil {
		note("speakers", l.dumpSpeakers(ctx, filepath.Join(dir, "speakers")))
		note("kubernetes", l.dumpKubernetes(ctx, filepath.Join(dir, "kubernetes")))
	}
	note("kind logs", l.kindProvider().CollectLogs(l.ClusterName(), filepath.Join(dir, "kind")))
	note("docker networks", l.dumpNetworks(ctx, filepath.Join(dir, "docker-networks.json")))
	// What the sessions are doing now, on the wire (3 s of BGP and BFD).
	_, err := l.Capture(ctx, filepath.Join(dir, "pcap"), 3*time.Second)
	note("packet capture", err)
	if v4, v6, err := l.guard.dropped(ctx); err == nil {
		note("guard", os.WriteFile(filepath.Join(dir, "egress-guard.txt"), []byte(fmt.Sprintf("dropped packets: IPv4 %d, IPv6 %d\nkernel log of the first ones:\n%s\n", v4, v6, l.guard.leaks(ctx))), 0o644))
	} else {
		note("guard", err)
	}
	if len(problems) > 0 {
		os.WriteFile(filepath.Join(dir, "dump-errors.txt"), []byte(strings.Join(problems, "\n")+"\n"), 0o644)
		return fmt.Errorf("dump incomplete, see %s", filepath.Join(dir, "dump-errors.txt"))
	}
	return nil
}

// writeDiagnosis explains the router's sessions that are not Established.
func writeDiagnosis(ctx context.Context, e routers.Executor, path string) error {
	ds, err := routers.NewQuerier(e).Diagnose(ctx)
	var b strings.Builder
	if len(ds) == 0 && err == nil {
		b.WriteString("every BGP session is Established\n")
	}
	for _, d := range ds {
		fmt.Fprintln(&b, d)
	}
	if err != nil {
		fmt.Fprintf(&b, "diagnosis incomplete: %v\n", err)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// dumpCommands saves the network state of a plain host (a client).
func dumpCommands(ctx context.Context, e routers.Executor, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for file, cmd := range map[string][]string{
		"ip-addr.txt":   {"ip", "addr"},
		"ip-route.txt":  {"ip", "route"},
		"ip6-route.txt": {"ip", "-6", "route"},
	} {
		out, stderr, err := e.Exec(ctx, cmd)
		if err != nil {
			out = append(out, []byte(fmt.Sprintf("\n%v: %s", err, stderr))...)
		}
		if err := os.WriteFile(filepath.Join(dir, file), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// SpeakerExecutors returns an executor for the FRR that speaks BGP for
// each node (the speaker pod's frr container, or the frr-k8s pod's), by
// node name. A backend without FRR on the nodes (native) has none: the
// map is empty.
func (l *Lab) SpeakerExecutors(ctx context.Context) (map[string]routers.Executor, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	b, err := backendOf(l.topo)
	if err != nil {
		return nil, err
	}
	out := map[string]routers.Executor{}
	ns, selector, container, ok := b.speakerFRR()
	if !ok {
		return out, nil
	}
	pods, err := l.cluster.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	for _, p := range pods.Items {
		// A pod being replaced may still run beside its successor on the
		// same node: the new one is the speaker.
		if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
			continue
		}
		key := ns + "/" + p.Name + "/" + string(p.UID)
		v, ok := l.speakers.Load(key)
		if !ok {
			e, err := routers.NewPodShellExecutor(l.cluster.rest, ns, p.Name, container)
			if err != nil {
				return nil, err
			}
			// A lost race leaves e unused, with no shell opened yet.
			v, _ = l.speakers.LoadOrStore(key, &speakerExec{e: e})
		}
		out[p.Spec.NodeName] = v.(*speakerExec)
	}
	return out, nil
}

func (l *Lab) dumpSpeakers(ctx context.Context, dir string) error {
	execs, err := l.SpeakerExecutors(ctx)
	if err != nil {
		return err
	}
	var errs []string
	for node, e := range execs {
		if err := routers.Dump(ctx, e, filepath.Join(dir, node)); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", node, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// metallbKinds are the MetalLB resources a dump saves.
var metallbKinds = []string{"ipaddresspools", "bgppeers", "bfdprofiles", "bgpadvertisements", "l2advertisements", "communities", "servicebgpstatuses", "servicel2statuses"}

func (l *Lab) dumpKubernetes(ctx context.Context, dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	cs := l.cluster.client
	var errs []string
	save := func(name string, v any) {
		b, err := yaml.Marshal(v)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		save("nodes.yaml", nodes)
	}
	if pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{}); err == nil {
		save("pods.yaml", pods)
		for _, p := range pods.Items {
			if p.Namespace != MetalLBNamespace && p.Namespace != WorkloadNamespace && p.Namespace != "kube-system" {
				continue
			}
			for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
				l.savePodLog(ctx, filepath.Join(dir, "logs", fmt.Sprintf("%s_%s_%s.log", p.Namespace, p.Name, c.Name)), p.Namespace, p.Name, c.Name)
			}
		}
	} else {
		errs = append(errs, err.Error())
	}
	if ev, err := cs.CoreV1().Events("").List(ctx, metav1.ListOptions{}); err == nil {
		save("events.yaml", ev)
	}
	if svcs, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{}); err == nil {
		save("services.yaml", svcs)
	}
	dyn, err := dynamic.NewForConfig(l.cluster.rest)
	if err != nil {
		return err
	}
	for _, k := range metallbKinds {
		for _, v := range []string{"v1beta2", "v1beta1"} {
			list, err := dyn.Resource(schema.GroupVersionResource{Group: "metallb.io", Version: v, Resource: k}).Namespace(MetalLBNamespace).List(ctx, metav1.ListOptions{})
			if err == nil {
				save("metallb-"+k+".yaml", list.Items)
				break
			}
		}
	}
	// frr-k8s's resources (absent with other backends: the list fails and
	// nothing is saved).
	for _, k := range []string{"frrconfigurations", "bgpsessionstates", "frrnodestates"} {
		var r dynamic.ResourceInterface = dyn.Resource(schema.GroupVersionResource{Group: "frrk8s.metallb.io", Version: "v1beta1", Resource: k})
		if k != "frrnodestates" { // FRRNodeState is cluster-scoped
			r = dyn.Resource(schema.GroupVersionResource{Group: "frrk8s.metallb.io", Version: "v1beta1", Resource: k}).Namespace(MetalLBNamespace)
		}
		list, err := r.List(ctx, metav1.ListOptions{})
		if err == nil {
			save("frrk8s-"+k+".yaml", list.Items)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (l *Lab) savePodLog(ctx context.Context, path, ns, pod, container string) {
	rc, err := l.cluster.client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).Stream(ctx)
	if err != nil {
		os.WriteFile(path, []byte(err.Error()+"\n"), 0o644)
		return
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	io.Copy(f, rc)
}

func (l *Lab) dumpNetworks(ctx context.Context, path string) error {
	var out []any
	for _, n := range l.networks {
		insp, err := l.docker.NetworkInspect(ctx, n.name, network.InspectOptions{Verbose: true})
		if err != nil {
			out = append(out, map[string]string{"name": n.name, "error": err.Error()})
			continue
		}
		out = append(out, insp)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// speakerExec runs one command at a time in a speaker's FRR, however many
// checks ask at once, through one long-lived shell (a pod exec per command
// cost the 2-core host more than the vtysh command it ran). The speaker's
// liveness probe asks the same daemons with a short timeout: with the
// checks' three or four vtysh commands at once on top (sessions, BFD,
// routes), the probes of two speakers timed out for a minute and kubelet
// restarted their frr containers mid-scenario.
type speakerExec struct {
	mu sync.Mutex
	e  *routers.ShellExecutor
}

func (s *speakerExec) Exec(ctx context.Context, cmd []string) ([]byte, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.e.Exec(ctx, cmd)
}
