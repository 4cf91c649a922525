package harness

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/topologies"
)

// backend is one MetalLB BGP implementation as the harness deploys it: its
// manifest, what it changes in it, what it waits for, and where its
// speaker-side FRR runs. What a backend can do (BFD, an FRR to ask) is data
// in topologies.Backend, so validation and the checks read the same facts.
// A new backend is a new file with a type satisfying this and one entry in
// backends.
type backend interface {
	// manifest is the install manifest's file in the kit's manifests image.
	manifest() string
	// images are the kit images its pods run besides the lab's own (the
	// workload's backend image): the harness ensures and loads them.
	images() []images.Name
	// patch adapts the decoded manifest to the lab after the common patches
	// (image swaps, pull policy, fast probes) have run.
	patch(objs []*unstructured.Unstructured, refs images.Refs) error
	// ready is nil once every pod of the backend serves.
	ready(ctx context.Context, cs kubernetes.Interface) error
	// speakerFRR says where the FRR that speaks BGP for each node runs:
	// pods in namespace ns matching selector, container container. ok is
	// false when the backend has none (the native speaker).
	speakerFRR() (ns, selector, container string, ok bool)
	// receive renders what lets the nodes install the routes their peers'
	// Receive accepts (nothing when no peer receives), labelled for pruning;
	// kinds are the kinds it renders, which Apply prunes.
	receive(p *Plan) ([]*unstructured.Unstructured, error)
	receiveKinds() []schema.GroupVersionKind
}

// backends are the registered backends.
var backends = map[topologies.Backend]backend{
	topologies.BackendFRR:    frrBackend{},
	topologies.BackendNative: nativeBackend{},
	topologies.BackendFRRK8s: frrK8sBackend{},
}

// backendOf returns the backend a topology names.
func backendOf(t topologies.Topology) (backend, error) {
	b, ok := backends[t.MetalLB.Backend.Or()]
	if !ok {
		return nil, fmt.Errorf("metallb.backend: %q cannot be deployed by this peerlab (have: %v)", t.MetalLB.Backend, registeredBackends())
	}
	return b, nil
}

func registeredBackends() []topologies.Backend {
	var out []topologies.Backend
	for _, b := range topologies.Backends() {
		if _, ok := backends[b]; ok {
			out = append(out, b)
		}
	}
	return out
}

// Backend is the MetalLB backend the lab runs.
func (l *Lab) Backend() topologies.Backend { return l.topo.MetalLB.Backend.Or() }

// metallbImages are the kit images MetalLB's pods run with backend b.
func metallbImages(b backend) []images.Name {
	return append([]images.Name{images.MetalLBController, images.MetalLBSpeaker}, b.images()...)
}

// SessionState is one BGP session as the backend's own status resources
// report it (frr-k8s's BGPSessionState), beside what FRR itself says.
type SessionState struct {
	// Node is the node's Kubernetes name; Peer the router's address.
	Node string `json:"node"`
	Peer string `json:"peer"`
	VRF  string `json:"vrf,omitempty"`
	// BGP is the session's state ("Established"); BFD the BFD session's
	// ("up"), "N/A" without BFD.
	BGP string `json:"bgp"`
	BFD string `json:"bfd"`
}

// sessionStater is a backend that publishes its sessions' states as
// Kubernetes resources.
type sessionStater interface {
	sessionStates(ctx context.Context, dyn dynamic.Interface) ([]SessionState, error)
}

// SessionStates are the sessions as the backend's status resources report
// them; ok is false when the backend publishes none (frr, native).
func (l *Lab) SessionStates(ctx context.Context) (states []SessionState, ok bool, err error) {
	return backendStatus(ctx, l, sessionStater.sessionStates)
}

// NodeState is one node's FRR as the backend's status resources report it
// (frr-k8s's FRRNodeState): how the last change of its configuration went,
// and the configuration FRR runs since.
type NodeState struct {
	Node string `json:"node"`
	// Conversion and Reload are "success" or the error: the translation of
	// the node's FRRConfigurations to FRR's configuration, and FRR's reload
	// to it.
	Conversion    string `json:"conversion"`
	Reload        string `json:"reload"`
	RunningConfig string `json:"runningConfig,omitempty"`
}

// nodeStater is a backend that publishes each node's FRR state as a
// Kubernetes resource.
type nodeStater interface {
	nodeStates(ctx context.Context, dyn dynamic.Interface) ([]NodeState, error)
}

// NodeStates are the nodes' FRR as the backend's status resources report
// them; ok is false when the backend publishes none (frr, native).
func (l *Lab) NodeStates(ctx context.Context) (states []NodeState, ok bool, err error) {
	return backendStatus(ctx, l, nodeStater.nodeStates)
}

// backendStatus reads status resources through read when the lab's backend
// is an S (a backend that publishes them); ok is false when it is not.
func backendStatus[S, T any](ctx context.Context, l *Lab, read func(S, context.Context, dynamic.Interface) ([]T, error)) (out []T, ok bool, err error) {
	b, err := backendOf(l.topo)
	if err != nil {
		return nil, false, err
	}
	s, ok := b.(S)
	if !ok {
		return nil, false, nil
	}
	if l.cluster == nil {
		return nil, true, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	dyn, err := dynamic.NewForConfig(l.cluster.rest)
	if err != nil {
		return nil, true, err
	}
	out, err = read(s, ctx, dyn)
	return out, true, err
}
