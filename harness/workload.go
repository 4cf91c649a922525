package harness

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/topologies"
)

// The lab's workload: the backend Deployment and its LoadBalancer Service.
const (
	WorkloadNamespace = "peerlab"
	BackendName       = "backend"
	backendPort       = 8080
)

// waitMetalLBReady waits for the controller and every speaker.
func waitMetalLBReady(ctx context.Context, cs kubernetes.Interface) error {
	return wait.Until(ctx, 4*time.Minute, time.Second, func() error {
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

func (l *Lab) upWorkload(ctx context.Context) error {
	cs := l.cluster.client
	w := l.topo.Workload
	labels := map[string]string{"app": BackendName}
	if err := create2(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: WorkloadNamespace}}, metav1.CreateOptions{})); err != nil {
		return err
	}
	env := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	var tolerations []corev1.Toleration
	if l.topo.Cluster.ControlPlaneAnnounces {
		tolerations = append(tolerations, corev1.Toleration{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule})
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: BackendName, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(w.Replicas)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					// One backend per node, so answers from more than one
					// node prove the load balancing, not the scheduler.
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: "kubernetes.io/hostname",
						WhenUnsatisfiable: corev1.DoNotSchedule,
						LabelSelector:     &metav1.LabelSelector{MatchLabels: labels},
					}},
					Tolerations: tolerations,
					Containers: []corev1.Container{{
						Name:            "backend",
						Image:           l.refs[images.Backend],
						ImagePullPolicy: corev1.PullNever,
						Args:            []string{fmt.Sprintf("--listen=:%d", backendPort)},
						Env:             []corev1.EnvVar{env("POD_NAME", "metadata.name"), env("NODE_NAME", "spec.nodeName"), env("POD_IP", "status.podIP")},
						Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: backendPort}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(backendPort)}},
							PeriodSeconds: 1,
						},
					}},
				},
			},
		},
	}
	if err := create2(cs.AppsV1().Deployments(WorkloadNamespace).Create(ctx, dep, metav1.CreateOptions{})); err != nil {
		return err
	}
	etp := corev1.ServiceExternalTrafficPolicyCluster
	if w.ExternalTrafficPolicy == topologies.ETPLocal {
		etp = corev1.ServiceExternalTrafficPolicyLocal
	}
	policy := corev1.IPFamilyPolicySingleStack
	if l.topo.Cluster.IPFamily == topologies.DualStack {
		policy = corev1.IPFamilyPolicyPreferDualStack
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: BackendName, Labels: labels},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			Selector:              labels,
			ExternalTrafficPolicy: etp,
			IPFamilyPolicy:        &policy,
			Ports:                 []corev1.ServicePort{{Name: "http", Port: int32(w.Port), TargetPort: intstr.FromInt32(backendPort)}},
		},
	}
	if err := create2(cs.CoreV1().Services(WorkloadNamespace).Create(ctx, svc, metav1.CreateOptions{})); err != nil {
		return err
	}
	return wait.Until(ctx, 3*time.Minute, time.Second, func() error {
		d, err := cs.AppsV1().Deployments(WorkloadNamespace).Get(ctx, BackendName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas < int32(w.Replicas) {
			return fmt.Errorf("backend: %d/%d replicas ready", d.Status.ReadyReplicas, w.Replicas)
		}
		ips, err := l.ServiceIPs(ctx)
		if err != nil {
			return err
		}
		if len(ips) == 0 {
			return fmt.Errorf("service %s/%s has no LoadBalancer IP yet", WorkloadNamespace, BackendName)
		}
		return nil
	})
}

// ServiceIPs are the LoadBalancer IPs MetalLB assigned to the backend
// service.
func (l *Lab) ServiceIPs(ctx context.Context) ([]netip.Addr, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	svc, err := l.cluster.client.CoreV1().Services(WorkloadNamespace).Get(ctx, BackendName, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// ServicePort is the backend service's port.
func (l *Lab) ServicePort() int { return l.topo.Workload.Port }

// BackendNodes is the set of nodes running a ready backend pod.
func (l *Lab) BackendNodes(ctx context.Context) (map[string]bool, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	pods, err := l.cluster.client.CoreV1().Pods(WorkloadNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + BackendName})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out[p.Spec.NodeName] = true
			}
		}
	}
	return out, nil
}
