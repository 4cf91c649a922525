package harness

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/peerlab/peerlab/images"
)

// nativeBackend is MetalLB's own Go BGP speaker: the speaker pod is the
// speaker container alone, with no FRR to ask, so the checks see the
// sessions from the routers' side only.
type nativeBackend struct{}

func (nativeBackend) manifest() string      { return images.ManifestNative }
func (nativeBackend) images() []images.Name { return nil }

func (nativeBackend) patch([]*unstructured.Unstructured, images.Refs) error { return nil }

func (nativeBackend) ready(ctx context.Context, cs kubernetes.Interface) error {
	return daemonSetReady(ctx, cs, MetalLBNamespace, "speaker")
}

func (nativeBackend) speakerFRR() (string, string, string, bool) { return "", "", "", false }

// The native speaker installs nothing (validation refuses Receive).
func (nativeBackend) receive(*Plan) ([]*unstructured.Unstructured, error) { return nil, nil }
func (nativeBackend) receiveKinds() []schema.GroupVersionKind             { return nil }
