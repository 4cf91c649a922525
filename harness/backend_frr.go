package harness

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/peerlab/peerlab/images"
)

// frrBackend is MetalLB's FRR mode: an frr container in every speaker pod,
// configured by the speaker through frr-reload.
type frrBackend struct{}

func (frrBackend) manifest() string      { return images.ManifestFRR }
func (frrBackend) images() []images.Name { return []images.Name{images.FRR} }

// patch fixes what FRR 10 needs under the speaker's read-only root:
// /var/lib/frr and /var/tmp/frr must be writable, and the manifest declares
// the volumes but does not mount them in the frr container.
func (frrBackend) patch(objs []*unstructured.Unstructured, _ images.Refs) error {
	return eachContainer(objs, "speaker", func(c map[string]any, init bool) {
		if c["name"] != "frr" || init {
			return
		}
		mounts, _ := c["volumeMounts"].([]any)
		c["volumeMounts"] = append(mounts,
			map[string]any{"name": "frr-lib", "mountPath": "/var/lib/frr"},
			map[string]any{"name": "frr-tmp", "mountPath": "/var/tmp/frr"})
	})
}

func (frrBackend) ready(ctx context.Context, cs kubernetes.Interface) error {
	return daemonSetReady(ctx, cs, MetalLBNamespace, "speaker")
}

func (frrBackend) speakerFRR() (string, string, string, bool) {
	return MetalLBNamespace, SpeakerSelector, "frr", true
}

func (frrBackend) receive(p *Plan) ([]*unstructured.Unstructured, error) {
	cm, err := bgpExtras(p)
	if cm == nil || err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{cm}, nil
}

func (frrBackend) receiveKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{configMapKind}
}
