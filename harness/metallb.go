package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
)

// MetalLBNamespace is where MetalLB's manifest installs it.
const MetalLBNamespace = "metallb-system"

// The image references metallb-frr.yaml names; the lab swaps in its own.
const (
	manifestController = "quay.io/metallb/controller:" + images.MetalLBVersion
	manifestSpeaker    = "quay.io/metallb/speaker:" + images.MetalLBVersion
	manifestFRRPrefix  = "quay.io/frrouting/frr:"
)

// metallbManifest reads MetalLB's FRR-mode manifest from its Go module.
func metallbManifest(ctx context.Context) ([]*unstructured.Unstructured, error) {
	dir, err := images.ModuleDir(ctx, "go.universe.tf/metallb@"+images.MetalLBVersion)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config", "manifests", "metallb-frr.yaml"))
	if err != nil {
		return nil, err
	}
	return decodeYAML(raw)
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

// patchMetalLB points the manifest at the lab's images and fixes what FRR
// 10 needs under the speaker's read-only root: /var/lib/frr and /var/tmp/frr
// must be writable, and the manifest declares the volumes but does not
// mount them in the frr container.
func patchMetalLB(objs []*unstructured.Unstructured, refs images.Refs) error {
	swap := func(img string) string {
		switch {
		case img == manifestController:
			return refs[images.MetalLBController]
		case img == manifestSpeaker:
			return refs[images.MetalLBSpeaker]
		case strings.HasPrefix(img, manifestFRRPrefix):
			return refs[images.FRR]
		}
		return img
	}
	for _, o := range objs {
		if o.GetKind() != "Deployment" && o.GetKind() != "DaemonSet" {
			continue
		}
		for _, field := range []string{"containers", "initContainers"} {
			path := []string{"spec", "template", "spec", field}
			cs, found, err := unstructured.NestedSlice(o.Object, path...)
			if err != nil || !found {
				continue
			}
			for i := range cs {
				c := cs[i].(map[string]any)
				img, _ := c["image"].(string)
				c["image"] = swap(img)
				// The images are loaded into the nodes: a missing one must
				// fail loudly, never be pulled.
				c["imagePullPolicy"] = "Never"
				if c["name"] == "frr" && field == "containers" {
					mounts, _ := c["volumeMounts"].([]any)
					c["volumeMounts"] = append(mounts,
						map[string]any{"name": "frr-lib", "mountPath": "/var/lib/frr"},
						map[string]any{"name": "frr-tmp", "mountPath": "/var/tmp/frr"})
				}
			}
			if err := unstructured.SetNestedSlice(o.Object, cs, path...); err != nil {
				return err
			}
		}
	}
	return nil
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

// applyAll applies CRDs first and waits until they are served.
func (a *applier) applyAll(ctx context.Context, objs []*unstructured.Unstructured) error {
	var crds, rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	for _, o := range crds {
		if err := a.apply(ctx, o); err != nil {
			return err
		}
	}
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, o := range crds {
		err := wait.Until(ctx, time.Minute, 500*time.Millisecond, func(ctx context.Context) error {
			got, err := a.dyn.Resource(crdGVR).Get(ctx, o.GetName(), metav1.GetOptions{})
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
			return fmt.Errorf("CRD %s not Established yet", o.GetName())
		})
		if err != nil {
			return err
		}
	}
	a.mapper.Reset()
	for _, o := range rest {
		if err := a.apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// applyMetalLBResources applies the objects, retrying while MetalLB's
// validating webhook is not answering yet (its certificate and endpoints
// appear some seconds after the controller reports ready).
func applyMetalLBResources(ctx context.Context, a *applier, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		err := wait.Until(ctx, 2*time.Minute, time.Second, func(ctx context.Context) error {
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

// waitMetalLBReady waits for the controller and every speaker.
func waitMetalLBReady(ctx context.Context, cs kubernetes.Interface) error {
	return wait.Until(ctx, 4*time.Minute, time.Second, func(ctx context.Context) error {
		d, err := cs.AppsV1().Deployments(MetalLBNamespace).Get(ctx, "controller", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas < 1 {
			return fmt.Errorf("metallb controller: %d/%d available", d.Status.AvailableReplicas, ptr.Deref(d.Spec.Replicas, 1))
		}
		return daemonSetReady(ctx, cs, MetalLBNamespace, "speaker")
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
