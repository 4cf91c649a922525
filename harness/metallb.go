package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
)

// MetalLBNamespace is where MetalLB's manifest installs it.
const MetalLBNamespace = "metallb-system"

// SpeakerSelector selects MetalLB's speaker pods, which every backend runs
// (with frr-k8s, the FRR that speaks BGP is in another pod: speakerFRR).
const SpeakerSelector = "component=speaker"

// The image repositories MetalLB's manifests name; the lab swaps in its
// own images whatever the tag (a MetalLB source tree's manifests may name
// another release).
const (
	manifestController = "quay.io/metallb/controller:"
	manifestSpeaker    = "quay.io/metallb/speaker:"
	manifestFRRPrefix  = "quay.io/frrouting/frr:"
)

// metallbManifest reads the backend's MetalLB manifest from the kit's
// manifests image (taken from MetalLB's module when the kit was built), so
// lab-up downloads nothing.
func metallbManifest(ctx context.Context, refs images.Refs, b backend) ([]*unstructured.Unstructured, error) {
	ref, ok := refs[images.Manifests]
	if !ok {
		return nil, fmt.Errorf("no %s image among the lab's images", images.Manifests)
	}
	raw, err := images.ReadManifest(ctx, ref, b.manifest())
	if err != nil {
		return nil, err
	}
	return decodeYAML(raw)
}

// memberlistSecret is the Secret MetalLB's speakers mount (the memberlist
// key). MetalLB's controller creates it when it starts, but the speakers
// are scheduled first: kubelet then retries the missing volume with a
// growing back-off, which held the speakers' start 10-17 s past their
// node's readiness. Creating it with the manifest removes the wait; the
// controller finds it and leaves it alone.
func memberlistSecret() (*unstructured.Unstructured, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": memberlistSecretName, "namespace": MetalLBNamespace},
		// The key is base64 text, as the controller makes it; data holds
		// that text base64-encoded once more.
		"data": map[string]any{"secretkey": base64.StdEncoding.EncodeToString([]byte(base64.RawStdEncoding.EncodeToString(key)))},
	}}, nil
}

// memberlistSecretName is the secret metallb-frr.yaml's speakers mount.
const memberlistSecretName = "memberlist"

// withMemberlistSecret puts the memberlist Secret right after the
// namespace it lives in.
func withMemberlistSecret(objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	sec, err := memberlistSecret()
	if err != nil {
		return nil, err
	}
	for i, o := range objs {
		if o.GetKind() == "Namespace" && o.GetName() == MetalLBNamespace {
			return slices.Insert(objs, i+1, sec), nil
		}
	}
	return nil, fmt.Errorf("MetalLB manifest has no Namespace %s", MetalLBNamespace)
}

func decodeYAML(raw []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// earlySpeakers lets the speakers (and every other host-network pod of
// the backend, such as frr-k8s's daemon) start while their node is still
// NotReady. They run in the host's network namespace and need no pod
// network, but the manifest does not tolerate the not-ready taint, so they
// were created only once the pod network was up and were ready 4-6 s after
// MetalLB's controller. Before kube-proxy has synced, the API's service
// address (10.96.0.1) is not translated on the node and would leave the lab
// by its default route, so their containers are pointed at the API server
// on the nodes' network instead.
func earlySpeakers(objs []*unstructured.Unstructured, api netip.AddrPort) error {
	speaker := false
	for _, o := range objs {
		if o.GetKind() != "DaemonSet" {
			continue
		}
		if host, _, _ := unstructured.NestedBool(o.Object, "spec", "template", "spec", "hostNetwork"); !host {
			continue
		}
		speaker = speaker || o.GetName() == "speaker"
		tols, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "tolerations")
		tols = append(tols, map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"})
		if err := unstructured.SetNestedSlice(o.Object, tols, "spec", "template", "spec", "tolerations"); err != nil {
			return err
		}
		err := eachContainer([]*unstructured.Unstructured{o}, "", func(c map[string]any, init bool) {
			if !init {
				setEnv(c, "KUBERNETES_SERVICE_HOST", api.Addr().String())
				setEnv(c, "KUBERNETES_SERVICE_PORT", strconv.Itoa(int(api.Port())))
			}
		})
		if err != nil {
			return err
		}
	}
	if !speaker {
		return fmt.Errorf("MetalLB manifest has no host-network speaker DaemonSet")
	}
	return nil
}

// patchMetalLB points the manifest at the lab's images (never pulled) with
// fast probes and a short reload debounce, then lets the backend make its
// own changes.
func patchMetalLB(objs []*unstructured.Unstructured, refs images.Refs, b backend) error {
	swap := func(img string) string {
		switch {
		case strings.HasPrefix(img, manifestController):
			return refs[images.MetalLBController]
		case strings.HasPrefix(img, manifestSpeaker):
			return refs[images.MetalLBSpeaker]
		case strings.HasPrefix(img, manifestFRRPrefix):
			return refs[images.FRR]
		}
		return img
	}
	err := eachContainer(objs, "", func(c map[string]any, init bool) {
		img, _ := c["image"].(string)
		c["image"] = swap(img)
		// The images are in the nodes: a missing one must fail loudly,
		// never be pulled.
		c["imagePullPolicy"] = "Never"
		fastProbes(c)
		if c["name"] == "speaker" && !init {
			setEnv(c, speakerDebounceEnv, speakerDebounceMs)
		}
		if !init && isFRRContainer(c) {
			freshPidFiles(c)
			requestCPU(c, frrCPURequest)
		}
	})
	if err != nil {
		return err
	}
	return b.patch(objs, refs)
}

// eachContainer calls fn on every container and init container of the
// manifest's Deployments and DaemonSets (of the one named workload, when
// it is not empty), writing the changes back.
func eachContainer(objs []*unstructured.Unstructured, workload string, fn func(c map[string]any, init bool)) error {
	for _, o := range objs {
		if o.GetKind() != "Deployment" && o.GetKind() != "DaemonSet" {
			continue
		}
		if workload != "" && o.GetName() != workload {
			continue
		}
		for _, field := range []string{"containers", "initContainers"} {
			path := []string{"spec", "template", "spec", field}
			cs, found, err := unstructured.NestedSlice(o.Object, path...)
			if err != nil || !found {
				continue
			}
			for i := range cs {
				fn(cs[i].(map[string]any), field == "initContainers")
			}
			if err := unstructured.SetNestedSlice(o.Object, cs, path...); err != nil {
				return err
			}
		}
	}
	return nil
}

// isFRRContainer: the container runs FRR (`sh -c "... docker-start"`), in
// the speaker (frr backend) or frr-k8s's daemon alike.
func isFRRContainer(c map[string]any) bool {
	cmd, _ := c["command"].([]any)
	if len(cmd) != 3 || cmd[0] != "/bin/sh" || cmd[1] != "-c" {
		return false
	}
	script, _ := cmd[2].(string)
	return strings.Contains(script, "/usr/lib/frr/docker-start")
}

// freshPidFiles makes an FRR container delete the daemons' pid files before
// FRR starts (routers.FreshPidFiles). They live in an emptyDir, which
// outlives the node's restart. After `peerlab fault stop` on a worker,
// watchfrr killed the speaker and frr-metrics containers with them (exit
// 130, nothing logged), kubelet restarted those with back-off, and once
// (CI) the speaker's BGP came back 177 s after the node did.
func freshPidFiles(c map[string]any) {
	cmd := c["command"].([]any)
	cmd[2] = routers.FreshPidFiles + cmd[2].(string)
}

// frrCPURequest is the CPU the nodes' FRR containers request. The manifests
// request none, and a container without a request gets the smallest CPU
// weight there is: cgroup v1 cpu.shares 2, measured on a frr-k8s lab's
// worker, inside a pod slice of 10 (its controller's request), and with the
// frr backend in the BestEffort slice (2) beside the control plane's
// Burstable one (686). peerlab-cnid's nice -10 for bfdd only orders it
// among the processes of its own cgroup. Under a catalog's load each
// worker's bfdd logged "CPU starvation" about 30 times a run, up to 645 ms
// late against a 900 ms detection, and one BFD flap failed a catalog step
// (frr-k8s, session 12). 250m weighs the container like the API server.
// Measured with it: 1.0-1.3 such events a minute per worker instead of 1.8,
// the worst still 649 ms late, so it helps and is not the whole story (the
// host was 38% in the kernel; see README, Safety).
const frrCPURequest = "250m"

// requestCPU sets a container's CPU request, keeping its other resources.
func requestCPU(c map[string]any, cpu string) {
	res, _ := c["resources"].(map[string]any)
	if res == nil {
		res = map[string]any{}
	}
	req, _ := res["requests"].(map[string]any)
	if req == nil {
		req = map[string]any{}
	}
	req["cpu"] = cpu
	res["requests"] = req
	c["resources"] = res
}

// The speaker batches configuration changes for this long before it
// reloads its FRR (MetalLB's default is 3 s). A lab changes configuration
// in single applies, not storms, and the 3 s sat in every lab-up and every
// scenario step's time to green.
const (
	speakerDebounceEnv = "METALLB_BGP_DEBOUNCE_TIMEOUT"
	speakerDebounceMs  = "500"
)

// setEnv sets one environment variable of a container.
func setEnv(c map[string]any, name, value string) {
	env, _ := c["env"].([]any)
	for _, e := range env {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			m["value"] = value
			delete(m, "valueFrom")
			return
		}
	}
	c["env"] = append(env, map[string]any{"name": name, "value": value})
}

// fastProbes makes a container's readiness and startup probes poll every
// second from the start. The manifest's 10 s initial delay and 10 s period
// put up to 20 s between the controller serving and its webhook getting
// endpoints (and as much before a speaker counts as ready), which was most
// of the lab's MetalLB phase. Liveness probes keep their period and
// threshold, but every probe gets at least livenessTimeout to answer: with
// the manifest's 1 s, the speakers' frr containers missed their /livez
// answers for a minute while the 2-core host also compiled, and kubelet
// restarted two of them in the middle of a scenario (bgpd gone).
func fastProbes(c map[string]any) {
	for _, probe := range []string{"readinessProbe", "startupProbe", "livenessProbe"} {
		p, ok := c[probe].(map[string]any)
		if !ok {
			continue
		}
		p["timeoutSeconds"] = max(number(p["timeoutSeconds"]), probeTimeout)
		if probe == "livenessProbe" {
			continue
		}
		if probe == "startupProbe" {
			// Keep the time a startup probe allows (period × threshold).
			p["failureThreshold"] = max(number(p["periodSeconds"]), 1) * max(number(p["failureThreshold"]), 1)
		}
		delete(p, "initialDelaySeconds")
		p["periodSeconds"] = int64(1)
	}
}

// probeTimeout is the least time a MetalLB probe gets to answer (seconds).
const probeTimeout = int64(5)

// number reads a decoded manifest number, whichever type the decoder chose.
func number(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}

// applier applies unstructured objects with server-side apply.
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(cfg *rest.Config) (*applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

func (a *applier) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		// A CRD applied a moment ago is not in the cached discovery yet.
		a.mapper.Reset()
		if m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return nil, fmt.Errorf("%s: %w", gvk, err)
		}
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return a.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
	}
	return a.dyn.Resource(m.Resource), nil
}

func (a *applier) apply(ctx context.Context, o *unstructured.Unstructured) error {
	r, err := a.resource(o)
	if err != nil {
		return err
	}
	_, err = r.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "peerlab", Force: true})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// applyAll applies a manifest: CRDs first, then everything else at once.
// It does not wait for the CRDs to be served (nothing in a manifest is a
// custom resource); waitCRDs does, before custom resources are applied.
// Waiting here held MetalLB's pods back by about 5 s at every lab-up.
func (a *applier) applyAll(ctx context.Context, objs []*unstructured.Unstructured) (crds []string, err error) {
	var rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			if err := a.apply(ctx, o); err != nil {
				return nil, err
			}
			crds = append(crds, o.GetName())
		} else {
			rest = append(rest, o)
		}
	}
	for _, o := range rest {
		if err := a.apply(ctx, o); err != nil {
			return nil, err
		}
	}
	return crds, nil
}

// waitCRDs waits until the named CRDs are Established, then forgets the
// cached discovery so their kinds resolve.
func (a *applier) waitCRDs(ctx context.Context, names []string) error {
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, name := range names {
		err := wait.Until(ctx, time.Minute, 250*time.Millisecond, func(ctx context.Context) error {
			got, err := a.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			for _, c := range conds {
				m := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return nil
				}
			}
			return fmt.Errorf("CRD %s not Established yet", name)
		})
		if err != nil {
			return err
		}
	}
	a.mapper.Reset()
	return nil
}

// applyMetalLBResources applies the objects, retrying while MetalLB's
// validating webhook is not answering yet (its certificate and endpoints
// appear some seconds after the controller reports ready).
func applyMetalLBResources(ctx context.Context, a *applier, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		err := wait.Until(ctx, 2*time.Minute, 500*time.Millisecond, func(ctx context.Context) error {
			err := a.apply(ctx, o)
			if err != nil && (apierrors.IsInternalError(err) || strings.Contains(err.Error(), "webhook")) {
				return err
			}
			if err != nil {
				return wait.Permanent(err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// waitMetalLBReady waits for the controller and the backend's pods.
func waitMetalLBReady(ctx context.Context, cs kubernetes.Interface, b backend) error {
	return wait.Until(ctx, 4*time.Minute, 250*time.Millisecond, func(ctx context.Context) error {
		d, err := cs.AppsV1().Deployments(MetalLBNamespace).Get(ctx, "controller", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas < 1 {
			return fmt.Errorf("metallb controller: %d/%d available", d.Status.AvailableReplicas, ptr.Deref(d.Spec.Replicas, 1))
		}
		return b.ready(ctx, cs)
	})
}

func daemonSetReady(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	ds, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	st := ds.Status
	if st.DesiredNumberScheduled == 0 || st.NumberReady < st.DesiredNumberScheduled || st.UpdatedNumberScheduled < st.DesiredNumberScheduled {
		return fmt.Errorf("daemonset %s/%s: %d of %d ready, %d updated", ns, name, st.NumberReady, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)
	}
	return nil
}
