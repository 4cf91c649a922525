package scenarios

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
)

// probeLabel marks the probe pods PodNetwork creates.
const probeLabel = "peerlab-probe"

// PodNetwork checks the cluster's pod network the way a user would: a probe
// pod on every node reaches the backend pods on every other node by pod IP,
// reaches the backend's ClusterIP, and resolves the backend's service name
// through CoreDNS. The probe pods run the FRR image (it has curl and
// getent) and are removed afterwards.
func PodNetwork(ctx context.Context, lab *harness.Lab) error {
	cs, cfg, err := lab.Kubernetes()
	if err != nil {
		return err
	}
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return err
	}
	ns := harness.WorkloadNamespace
	defer cs.CoreV1().Pods(ns).DeleteCollection(context.WithoutCancel(ctx), metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{LabelSelector: "app=" + probeLabel})
	for _, n := range nodes {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: probeLabel + "-" + n.Name, Labels: map[string]string{"app": probeLabel}},
			Spec: corev1.PodSpec{
				NodeName:                      n.Name,
				TerminationGracePeriodSeconds: ptr.To[int64](0),
				Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				Containers: []corev1.Container{{
					Name: "probe", Image: lab.ImageRef(images.FRR), ImagePullPolicy: corev1.PullNever,
					Command: []string{"sleep", "infinity"},
				}},
			},
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	err = wait.Until(ctx, 2*time.Minute, time.Second, func(ctx context.Context) error {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + probeLabel})
		if err != nil {
			return err
		}
		ready := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
				ready++
			}
		}
		if ready < len(nodes) {
			return fmt.Errorf("%d of %d probe pods running", ready, len(nodes))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("probe pods: %w", err)
	}
	// The first service's backends stand for every pod on the pod network.
	service := lab.Topology().Services[0].Name
	backends, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: harness.LabelService + "=" + service})
	if err != nil {
		return err
	}
	svc, err := cs.CoreV1().Services(ns).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range nodes {
		e, err := routers.NewPodExecutor(cfg, ns, probeLabel+"-"+n.Name, "probe")
		if err != nil {
			return err
		}
		get := func(url string) error {
			out, stderr, err := e.Exec(ctx, []string{"curl", "-sS", "--connect-timeout", "2", "-m", "3", url})
			if err != nil {
				return fmt.Errorf("from node %s: curl %s: %v: %s", n.Name, url, err, strings.TrimSpace(string(stderr)))
			}
			if !strings.Contains(string(out), `"node"`) {
				return fmt.Errorf("from node %s: curl %s answered %q, not the backend", n.Name, url, out)
			}
			return nil
		}
		// Every family of the pod network: each pod has one address per
		// family, the service one ClusterIP per family.
		for _, b := range backends.Items {
			if b.Spec.NodeName == n.Name {
				continue
			}
			for _, ip := range b.Status.PodIPs {
				if err := get(fmt.Sprintf("http://%s/", hostPort(ip.IP, 8080))); err != nil {
					errs = append(errs, fmt.Errorf("pod-to-pod to %s on %s: %w", b.Name, b.Spec.NodeName, err))
				}
			}
		}
		for _, ip := range svc.Spec.ClusterIPs {
			if err := get(fmt.Sprintf("http://%s/", hostPort(ip, int(svc.Spec.Ports[0].Port)))); err != nil {
				errs = append(errs, fmt.Errorf("ClusterIP: %w", err))
			}
		}
		// ahosts lists every address (hosts stops at the first family that
		// answers), so a dual-stack service's name must resolve to both.
		name := fmt.Sprintf("%s.%s.svc.cluster.local", service, ns)
		out, stderr, err := e.Exec(ctx, []string{"getent", "ahosts", name})
		for _, ip := range svc.Spec.ClusterIPs {
			if err != nil || !strings.Contains(string(out), ip) {
				errs = append(errs, fmt.Errorf("from node %s: DNS %s: got %q (%v %s), want %s among the answers", n.Name, name, strings.TrimSpace(string(out)), err, strings.TrimSpace(string(stderr)), ip))
			}
		}
	}
	return errors.Join(errs...)
}

func hostPort(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// NodesReady: every node reports Ready.
func NodesReady(ctx context.Context, lab *harness.Lab) error {
	cs, _, err := lab.Kubernetes()
	if err != nil {
		return err
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range list.Items {
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready = c.Status == corev1.ConditionTrue
				if !ready {
					errs = append(errs, fmt.Errorf("node %s: Ready=%s (%s: %s)", n.Name, c.Status, c.Reason, c.Message))
				}
			}
		}
		if !ready && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("node %s: no Ready condition yet", n.Name))
		}
	}
	return errors.Join(errs...)
}
