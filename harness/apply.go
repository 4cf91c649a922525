package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// NeedsNewLabError lists the changes a running lab cannot take: what
// differs in the cluster, its networks, the routers' and clients' places.
type NeedsNewLabError struct{ Fields []string }

func (e *NeedsNewLabError) Error() string {
	msg := "these changes need a new lab (peerlab down, then up with the new topology); nothing was changed:"
	for _, f := range e.Fields {
		msg += "\n  " + f
	}
	return msg
}

// ApplyReport says what Apply changed.
type ApplyReport struct {
	Applied, Pruned []string // Kubernetes objects, as Kind/name
	Routers         []string // routers whose configuration was reloaded
	Duration        time.Duration
}

// Apply converges the running lab to topology t, whose cluster, networks,
// router and client placement are the lab's own: MetalLB resources,
// services and backends are server-side applied and what t no longer has is
// pruned (by the lab's label), and routers whose configuration changed are
// reloaded live. An invalid t, or one that needs a new lab, is refused
// before anything is touched, naming the fields. Apply returns once the
// objects are applied, the routers reloaded and the backends rolled out;
// routing convergence is for the checks to wait for.
func (l *Lab) Apply(ctx context.Context, t topologies.Topology) (ApplyReport, error) {
	start := time.Now()
	var rep ApplyReport
	if t.MetalLB.Backend == "" {
		// A file that names no backend runs with the lab's (native drops
		// the BFD it cannot run, as at up).
		var err error
		if t, err = t.ForBackend(l.Backend()); err != nil {
			return rep, err
		}
	}
	next, err := l.placed(t).Prepare()
	if err != nil {
		return rep, fmt.Errorf("topology %q: %w", t.Name, err)
	}
	if err := immutableChanges(l.topo, next); err != nil {
		return rep, err
	}
	if l.cluster == nil || l.cluster.rest == nil {
		return rep, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	nodes, err := l.Nodes(ctx)
	if err != nil {
		return rep, err
	}
	plan := NewPlan(next, nodes)
	// Render everything before changing anything: a rendering error leaves
	// the lab as it was.
	specs := map[string]routers.Spec{}
	for _, r := range next.Routers {
		s, err := routerSpec(plan, r.Name)
		if err != nil {
			return rep, err
		}
		if err := s.Validate(); err != nil {
			return rep, fmt.Errorf("router %s: %w", r.Name, err)
		}
		specs[r.Name] = s
	}
	b, err := backendOf(next)
	if err != nil {
		return rep, err
	}
	mlb, err := labObjects(plan, b)
	if err != nil {
		return rep, err
	}
	work, err := workloadObjects(next, l.refs[images.Backend])
	if err != nil {
		return rep, err
	}
	a, err := newApplier(l.cluster.rest)
	if err != nil {
		return rep, err
	}

	// New pools need their on-link routes on the nodes (see nodeRoutes)
	// before MetalLB announces them.
	routesBefore, err := nodeRoutes(l.topo)
	if err != nil {
		return rep, err
	}
	routesNext, err := nodeRoutes(next)
	if err != nil {
		return rep, err
	}
	if !slices.Equal(routesBefore.Routes, routesNext.Routes) {
		if err := l.cluster.installNodeRoutes(next); err != nil {
			return rep, fmt.Errorf("node routes: %w", err)
		}
	}

	extrasBefore, err := l.bgpExtrasData(ctx)
	if err != nil {
		return rep, err
	}
	l.logf("apply: %d MetalLB objects, %d workload objects, %d routers", len(mlb), len(work), len(specs))
	// Advertisements go first: MetalLB's webhook refuses a new one that
	// conflicts with an old one (two local preferences for one pool), so
	// the old ones must be gone before the new ones come.
	pruned, err := a.prune(ctx, mlb, advertisementKind)
	rep.Pruned = pruned
	if err != nil {
		return rep, err
	}
	if err := applyMetalLBResources(ctx, a, mlb); err != nil {
		return rep, err
	}
	for _, o := range work {
		if err := a.apply(ctx, o); err != nil {
			return rep, err
		}
	}
	for _, o := range append(slices.Clone(mlb), work...) {
		rep.Applied = append(rep.Applied, o.GetKind()+"/"+o.GetName())
	}
	pruned, err = a.prune(ctx, append(mlb, work...), append(slices.Clone(managedKinds), b.receiveKinds()...)...)
	rep.Pruned = append(rep.Pruned, pruned...)
	if err != nil {
		return rep, err
	}
	if err := l.restartOnExtrasChange(ctx, b, extrasBefore); err != nil {
		return rep, err
	}
	changed, err := l.reloadRouters(ctx, specs)
	rep.Routers = changed
	if err != nil {
		return rep, err
	}
	l.topo = next
	if err := l.saveState(); err != nil {
		return rep, err
	}
	err = wait.Until(ctx, 3*time.Minute, time.Second, func(ctx context.Context) error {
		return backendsReady(ctx, l.cluster.client, next)
	})
	rep.Duration = time.Since(start)
	return rep, err
}

// reloadRouters applies each router's spec, in parallel, and returns the
// routers that changed.
func (l *Lab) reloadRouters(ctx context.Context, specs map[string]routers.Spec) ([]string, error) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		changed []string
		errs    []error
	)
	for name, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var did bool
			var err error
			if f, ok := l.routers[name]; ok {
				if !reflect.DeepEqual(f.Spec(), spec) {
					did, err = true, f.Apply(ctx, spec)
				}
			} else if e, ok := l.execs[name]; ok {
				did, err = routers.Reload(ctx, e, spec)
			} else {
				err = fmt.Errorf("no container for router %s", name)
			}
			mu.Lock()
			defer mu.Unlock()
			if did {
				changed = append(changed, name)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("router %s: %w", name, err))
			}
		}()
	}
	wg.Wait()
	slices.Sort(changed)
	return changed, errors.Join(errs...)
}

// immutableChanges lists every difference between the running topology and
// the next one that a running lab cannot take.
func immutableChanges(cur, next topologies.Topology) error {
	var fields []string
	diff := func(path string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			fields = append(fields, fmt.Sprintf("%s: %v -> %v", path, a, b))
		}
	}
	cc, nc := cur.Cluster, next.Cluster
	diff("cluster.controlPlanes", cc.ControlPlanes, nc.ControlPlanes)
	diff("cluster.workers", cc.Workers, nc.Workers)
	diff("cluster.kubernetesVersion", cc.KubernetesVersion, nc.KubernetesVersion)
	diff("cluster.nodeImage", cc.NodeImage, nc.NodeImage)
	diff("cluster.ipFamily", cc.IPFamily, nc.IPFamily)
	diff("cluster.network", cc.Network, nc.Network)
	diff("cluster.podSubnet", cc.PodSubnet, nc.PodSubnet)
	diff("cluster.serviceSubnet", cc.ServiceSubnet, nc.ServiceSubnet)
	diff("cluster.controlPlaneAnnounces", cc.ControlPlaneAnnounces, nc.ControlPlaneAnnounces)
	diff("cluster.routes", cc.Routes, nc.Routes)
	diff("networks", cur.Networks, next.Networks)
	diff("metallb.backend", cur.MetalLB.Backend, next.MetalLB.Backend)
	names := func(rs []topologies.Router) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	diff("routers (names)", names(cur.Routers), names(next.Routers))
	for _, r := range next.Routers {
		if old, ok := cur.Router(r.Name); ok {
			diff(fmt.Sprintf("routers[%s].interfaces", r.Name), old.Interfaces, r.Interfaces)
		}
	}
	diff("clients", cur.Clients, next.Clients)
	if len(fields) > 0 {
		return &NeedsNewLabError{Fields: fields}
	}
	return nil
}

// managedKinds are the kinds Apply prunes, in deletion order (what refers
// to others first).
var managedKinds = []schema.GroupVersionKind{
	advertisementKind,
	{Group: "metallb.io", Version: "v1beta1", Kind: "L2Advertisement"},
	{Group: "metallb.io", Version: "v1beta2", Kind: "BGPPeer"},
	{Group: "metallb.io", Version: "v1beta1", Kind: "BFDProfile"},
	{Group: "metallb.io", Version: "v1beta1", Kind: "IPAddressPool"},
	{Version: "v1", Kind: "Service"},
	{Group: "apps", Version: "v1", Kind: "Deployment"},
}

var advertisementKind = schema.GroupVersionKind{Group: "metallb.io", Version: "v1beta1", Kind: "BGPAdvertisement"}

// prune deletes objects of the given kinds with the lab's managed label
// that keep does not have, and returns them as Kind/name.
func (a *applier) prune(ctx context.Context, keep []*unstructured.Unstructured, kinds ...schema.GroupVersionKind) ([]string, error) {
	want := map[string]bool{}
	for _, o := range keep {
		want[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = true
	}
	var pruned []string
	var errs []error
	for _, gvk := range kinds {
		probe := &unstructured.Unstructured{}
		probe.SetGroupVersionKind(gvk)
		for _, ns := range []string{MetalLBNamespace, WorkloadNamespace} {
			probe.SetNamespace(ns)
			r, err := a.resource(probe)
			if err != nil {
				return pruned, err
			}
			list, err := r.List(ctx, metav1.ListOptions{LabelSelector: LabelManaged + "=true"})
			if err != nil {
				return pruned, fmt.Errorf("list %s in %s: %w", gvk.Kind, ns, err)
			}
			for _, o := range list.Items {
				if want[gvk.Kind+"/"+o.GetNamespace()+"/"+o.GetName()] {
					continue
				}
				if err := r.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("prune %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err))
					continue
				}
				pruned = append(pruned, gvk.Kind+"/"+o.GetName())
			}
		}
	}
	return pruned, errors.Join(errs...)
}

// bgpExtrasData is the bgpextras ConfigMap's content now ("" when absent).
func (l *Lab) bgpExtrasData(ctx context.Context) (string, error) {
	cm, err := l.cluster.client.CoreV1().ConfigMaps(MetalLBNamespace).Get(ctx, bgpExtrasName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("configmap %s: %w", bgpExtrasName, err)
	}
	return cm.Data[bgpExtrasKey], nil
}

// restartOnExtrasChange restarts the speakers of an FRR-mode lab whose
// bgpextras changed, as MetalLB asks for extras that come after the
// BGPPeers: the speakers start again from a frr.conf that has them. It is
// a rollout (the speaker template is annotated with the extras' hash), so
// the wait sees the new pods, and an Apply retried after a failed one
// still restarts speakers that run older extras.
func (l *Lab) restartOnExtrasChange(ctx context.Context, b backend, before string) error {
	if _, ok := b.(frrBackend); !ok {
		return nil
	}
	after, err := l.bgpExtrasData(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(after))
	want := hex.EncodeToString(sum[:8])
	cs := l.cluster.client
	ds, err := cs.AppsV1().DaemonSets(MetalLBNamespace).Get(ctx, "speaker", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("speaker DaemonSet: %w", err)
	}
	have, annotated := ds.Spec.Template.Annotations[extrasAnnotation]
	if have == want || !annotated && after == before {
		return nil
	}
	l.logf("apply: bgpextras changed: restarting the speakers")
	// All speakers at once: one at a time took 34 s for three nodes, and
	// a lab's Apply is not a production rollout.
	patch := fmt.Sprintf(`{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"100%%"}},"template":{"metadata":{"annotations":{%q:%q}}}}}`, extrasAnnotation, want)
	if _, err := cs.AppsV1().DaemonSets(MetalLBNamespace).Patch(ctx, "speaker", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "peerlab"}); err != nil {
		return fmt.Errorf("restart speakers: %w", err)
	}
	return wait.Until(ctx, 4*time.Minute, 250*time.Millisecond, func(ctx context.Context) error {
		ds, err := cs.AppsV1().DaemonSets(MetalLBNamespace).Get(ctx, "speaker", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if ds.Status.ObservedGeneration < ds.Generation {
			return fmt.Errorf("speaker DaemonSet: generation %d not observed yet (%d)", ds.Generation, ds.Status.ObservedGeneration)
		}
		return daemonSetReady(ctx, cs, MetalLBNamespace, "speaker")
	})
}

// extrasAnnotation on the speakers' pod template is the hash of the
// bgpextras they started with.
const extrasAnnotation = "peerlab.io/bgpextras"
