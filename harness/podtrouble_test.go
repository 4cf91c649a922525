package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestPodTrouble: only containers that are not ready are named, with why
// and how often they restarted; a ready cluster says nothing.
func TestPodTrouble(t *testing.T) {
	finished := metav1.NewTime(time.Date(2026, 12, 7, 21, 7, 3, 0, time.UTC))
	pod := func(name string, statuses ...corev1.ContainerStatus) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "metallb-system", Name: name},
			Spec:       corev1.PodSpec{NodeName: "peerlab-x-worker"},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: statuses},
		}
	}
	ready := corev1.ContainerStatus{Name: "frr", Ready: true}
	crashing := corev1.ContainerStatus{
		Name:                 "speaker",
		RestartCount:         4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", FinishedAt: finished}},
	}

	l := &Lab{cluster: &kindCluster{client: fake.NewClientset(pod("controller", ready))}}
	assert.Empty(t, l.PodTrouble(context.Background()), "every container is ready")

	l.cluster.client = fake.NewClientset(pod("controller", ready), pod("speaker-abc", ready, crashing))
	got := l.PodTrouble(context.Background())
	first, _, _ := strings.Cut(got, "\n")
	assert.Equal(t, "pod metallb-system/speaker-abc on peerlab-x-worker: container speaker not ready, waiting: CrashLoopBackOff, 4 restarts, last exit 1 (Error) at 21:07:03; its previous run ended with:", first)
	assert.NotContains(t, got, "controller")
	assert.NotContains(t, got, "container frr")
}
