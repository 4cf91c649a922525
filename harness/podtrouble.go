package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodTrouble describes the lab's pods that are not ready, one line per
// container that is not: its state (waiting and why, or its last exit),
// its restarts and, for a container that keeps crashing, the last lines its
// previous run logged. It is empty when every pod is ready, and says so
// when it cannot ask. A check that times out appends it (see
// scenarios.Eventually): CI keeps the log, not the artifacts, and a speaker
// in crash-loop back-off looks, from the routers, like a session that never
// came back.
func (l *Lab) PodTrouble(ctx context.Context) string {
	if l.cluster == nil || l.cluster.client == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	pods, err := l.cluster.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Sprintf("pods: cannot list them: %v", err)
	}
	var lines []string
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded || p.DeletionTimestamp != nil {
			continue
		}
		where := fmt.Sprintf("pod %s/%s on %s", p.Namespace, p.Name, p.Spec.NodeName)
		if p.Status.Phase != corev1.PodRunning {
			lines = append(lines, fmt.Sprintf("%s: %s %s", where, p.Status.Phase, p.Status.Reason))
		}
		for _, c := range p.Status.ContainerStatuses {
			if c.Ready {
				continue
			}
			line := fmt.Sprintf("%s: container %s not ready, %s, %d restarts", where, c.Name, containerState(c.State), c.RestartCount)
			if t := c.LastTerminationState.Terminated; t != nil {
				line += fmt.Sprintf(", last exit %d (%s) at %s", t.ExitCode, t.Reason, t.FinishedAt.Format(time.TimeOnly))
			}
			if w := c.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
				line += l.previousLog(ctx, p.Namespace, p.Name, c.Name)
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// containerState is a container's state in a few words.
func containerState(s corev1.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "waiting: " + strings.TrimSpace(s.Waiting.Reason+" "+s.Waiting.Message)
	case s.Running != nil:
		return "running since " + s.Running.StartedAt.Format(time.TimeOnly)
	case s.Terminated != nil:
		return fmt.Sprintf("terminated: exit %d (%s)", s.Terminated.ExitCode, s.Terminated.Reason)
	}
	return "no state yet"
}

// previousLog is the end of what a container's previous run logged, as
// indented lines to append to its trouble line.
func (l *Lab) previousLog(ctx context.Context, ns, pod, ctr string) string {
	tail := int64(5)
	b, err := l.cluster.client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: ctr, Previous: true, TailLines: &tail}).DoRaw(ctx)
	if err != nil {
		return fmt.Sprintf("; previous log: %v", err)
	}
	var out strings.Builder
	out.WriteString("; its previous run ended with:")
	for _, s := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out.WriteString("\n    " + s)
	}
	return out.String()
}

// SpeakerRestarts is how often each container of the pod that speaks BGP
// for node (its full name) has restarted: the frr-k8s daemon under
// frr-k8s, MetalLB's speaker otherwise. A node's restart costs each of
// them one; more is a crash after it.
func (l *Lab) SpeakerRestarts(ctx context.Context, node string) (map[string]int32, error) {
	if l.cluster == nil || l.cluster.client == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	b, err := backendOf(l.topo)
	if err != nil {
		return nil, err
	}
	ns, selector, _, ok := b.speakerFRR()
	if !ok {
		ns, selector = MetalLBNamespace, SpeakerSelector
	}
	pods, err := l.cluster.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector, FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, err
	}
	out := map[string]int32{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.ContainerStatuses {
			out[c.Name] += c.RestartCount
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no speaker pod on %s (%s in %s)", node, selector, ns)
	}
	return out, nil
}
