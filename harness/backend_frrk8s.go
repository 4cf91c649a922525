package harness

import (
	"context"
	"fmt"
	"path"
	"strings"

	frrk8sv1beta1 "github.com/metallb/frr-k8s/api/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/images"
)

// frrK8sBackend is MetalLB's frr-k8s mode: the speakers write one
// FRRConfiguration per node and a separate DaemonSet (frr-k8s-daemon, in
// MetalLB's namespace) runs FRR with frr-k8s's controller, reloader,
// metrics and status sidecars; a status cleaner Deployment serves the
// FRRConfiguration webhook.
type frrK8sBackend struct{}

const (
	frrK8sDaemon       = "frr-k8s-daemon"
	frrK8sStatusClean  = "frr-k8s-statuscleaner"
	manifestFRRK8sRef  = "quay.io/metallb/frr-k8s:"
	frrK8sPollInterval = "10s"
)

func (frrK8sBackend) manifest() string      { return images.ManifestFRRK8s }
func (frrK8sBackend) images() []images.Name { return []images.Name{images.FRR, images.FRRK8s} }

// patch runs the kit's frr-k8s image, whose init containers copy with
// MetalLB's cp-tool (the image has no shell; upstream's is Alpine), and
// has the status sidecar write BGPSessionState every 10 s instead of every
// 2 minutes, so the checks read what FRR sees now.
func (frrK8sBackend) patch(objs []*unstructured.Unstructured, refs images.Refs) error {
	var errs []string
	err := eachContainer(objs, frrK8sDaemon, func(c map[string]any, init bool) {
		img, _ := c["image"].(string)
		if strings.HasPrefix(img, manifestFRRK8sRef) {
			c["image"] = refs[images.FRRK8s]
			if init {
				src, dst, ok := shellCopy(c["command"])
				if !ok {
					errs = append(errs, fmt.Sprintf("init container %v: command %v is not the 'cp -f SRC DIR/' it was", c["name"], c["command"]))
					return
				}
				c["command"] = []any{"/cp-tool", src, dst}
			}
		}
		if c["name"] == "frr-status" && !init {
			args, _ := c["args"].([]any)
			c["args"] = append(args, "--poll-interval="+frrK8sPollInterval)
		}
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("frr-k8s manifest: %s", strings.Join(errs, "; "))
	}
	return eachContainer(objs, frrK8sStatusClean, func(c map[string]any, _ bool) {
		if img, _ := c["image"].(string); strings.HasPrefix(img, manifestFRRK8sRef) {
			c["image"] = refs[images.FRRK8s]
		}
	})
}

// shellCopy reads ["/bin/sh", "-c", "cp -f SRC DIR/"] as the file copy
// it is: SRC to DIR/base(SRC).
func shellCopy(cmd any) (src, dst string, ok bool) {
	parts, _ := cmd.([]any)
	if len(parts) != 3 || parts[0] != "/bin/sh" || parts[1] != "-c" {
		return "", "", false
	}
	line, _ := parts[2].(string)
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "cp" || f[1] != "-f" || !strings.HasSuffix(f[3], "/") {
		return "", "", false
	}
	return f[2], path.Join(f[3], path.Base(f[2])), true
}

func (frrK8sBackend) ready(ctx context.Context, cs kubernetes.Interface) error {
	if err := daemonSetReady(ctx, cs, MetalLBNamespace, "speaker"); err != nil {
		return err
	}
	if err := daemonSetReady(ctx, cs, MetalLBNamespace, frrK8sDaemon); err != nil {
		return err
	}
	d, err := cs.AppsV1().Deployments(MetalLBNamespace).Get(ctx, frrK8sStatusClean, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if d.Status.AvailableReplicas < 1 {
		return fmt.Errorf("%s (the FRRConfiguration webhook): %d/%d available", frrK8sStatusClean, d.Status.AvailableReplicas, ptr.Deref(d.Spec.Replicas, 1))
	}
	return nil
}

func (frrK8sBackend) speakerFRR() (string, string, string, bool) {
	return MetalLBNamespace, "app=frr-k8s", "frr", true
}

// bgpSessionStates is frr-k8s's BGPSessionState resource.
var bgpSessionStates = schema.GroupVersionResource{Group: "frrk8s.metallb.io", Version: "v1beta1", Resource: "bgpsessionstates"}

// sessionStates reads the BGPSessionState objects frr-k8s's status sidecar
// writes (one per node and peer), with frr-k8s's own types.
func (frrK8sBackend) sessionStates(ctx context.Context, dyn dynamic.Interface) ([]SessionState, error) {
	list, err := dyn.Resource(bgpSessionStates).Namespace(MetalLBNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("BGPSessionStates: %w", err)
	}
	out := make([]SessionState, 0, len(list.Items))
	for _, u := range list.Items {
		var s frrk8sv1beta1.BGPSessionState
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s); err != nil {
			return nil, fmt.Errorf("BGPSessionState %s: %w", u.GetName(), err)
		}
		st := s.Status
		out = append(out, SessionState{Node: st.Node, Peer: st.Peer, VRF: st.VRF, BGP: st.BGPStatus, BFD: st.BFDStatus})
	}
	return out, nil
}

// frrNodeStates is frr-k8s's FRRNodeState resource (cluster-scoped).
var frrNodeStates = schema.GroupVersionResource{Group: "frrk8s.metallb.io", Version: "v1beta1", Resource: "frrnodestates"}

// nodeStates reads the FRRNodeState objects frr-k8s's controller writes
// after each reload (one per node, named after it), with frr-k8s's own
// types.
func (frrK8sBackend) nodeStates(ctx context.Context, dyn dynamic.Interface) ([]NodeState, error) {
	list, err := dyn.Resource(frrNodeStates).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("FRRNodeStates: %w", err)
	}
	out := make([]NodeState, 0, len(list.Items))
	for _, u := range list.Items {
		var s frrk8sv1beta1.FRRNodeState
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &s); err != nil {
			return nil, fmt.Errorf("FRRNodeState %s: %w", u.GetName(), err)
		}
		out = append(out, NodeState{Node: s.Name, Conversion: s.Status.LastConversionResult, Reload: s.Status.LastReloadResult, RunningConfig: s.Status.RunningConfig})
	}
	return out, nil
}

func (frrK8sBackend) receive(p *Plan) ([]*unstructured.Unstructured, error) {
	return receiveConfigurations(p)
}

func (frrK8sBackend) receiveKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{frrConfigurationKind}
}
