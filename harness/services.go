package harness

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/topologies"
)

// The lab's workload: per topology service, a backend Deployment and a
// LoadBalancer Service of the same name in this namespace.
const (
	WorkloadNamespace = "peerlab"
	backendPort       = 8080
	// LabelService names the topology service a backend pod belongs to.
	LabelService = "peerlab.io/service"
)

// MetalLB's service annotations.
const (
	annotationPool     = "metallb.io/address-pool"
	annotationIPs      = "metallb.io/loadBalancerIPs"
	annotationSharedIP = "metallb.io/allow-shared-ip"
)

// workloadObjects renders the topology's services and their backends.
func workloadObjects(t topologies.Topology, backendImage string) ([]*unstructured.Unstructured, error) {
	objs := []runtime.Object{&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: WorkloadNamespace},
	}}
	env := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	for _, s := range t.Services {
		labels := map[string]string{LabelService: s.Name}
		managed := map[string]string{LabelService: s.Name, LabelManaged: "true"}
		// The workload is applied while the nodes are still coming up (see
		// Lab.Up). Without this toleration a NotReady node's taint keeps it
		// out of the spread constraint's count, and every backend lands on
		// the first Ready node (seen: both replicas on worker2, so every
		// answer came from one node). Tolerated, the pod is placed on its
		// own node and starts there once the node's pod network is ready.
		tolerations := []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
		var affinity *corev1.Affinity
		cp := t.Cluster.NodeNames()[:t.Cluster.ControlPlanes]
		onControlPlane := t.Cluster.ControlPlaneAnnounces
		if len(s.Nodes) > 0 {
			onControlPlane = slices.ContainsFunc(s.Nodes, func(n string) bool { return slices.Contains(cp, n) })
			affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: topologies.NodeLabel, Operator: corev1.NodeSelectorOpIn, Values: s.Nodes}},
				}}},
			}}
		}
		if onControlPlane {
			tolerations = append(tolerations, corev1.Toleration{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule})
		}
		objs = append(objs, &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: WorkloadNamespace, Labels: managed},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(int32(s.Replicas)),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{
						// One backend per node, so answers from more than one
						// node prove the load balancing, not the scheduler.
						// Only nodes the pod may run on count (the tainted
						// control plane would otherwise hold the skew at 0),
						// and only pods of its own revision (a rollout's old
						// pods would otherwise block the new ones).
						TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
							MaxSkew: 1, TopologyKey: "kubernetes.io/hostname",
							WhenUnsatisfiable:  corev1.DoNotSchedule,
							LabelSelector:      &metav1.LabelSelector{MatchLabels: labels},
							MatchLabelKeys:     []string{"pod-template-hash"},
							NodeTaintsPolicy:   ptr.To(corev1.NodeInclusionPolicyHonor),
							NodeAffinityPolicy: ptr.To(corev1.NodeInclusionPolicyHonor),
						}},
						Affinity:                      affinity,
						Tolerations:                   tolerations,
						TerminationGracePeriodSeconds: ptr.To(int64(1)),
						Containers: []corev1.Container{{
							Name:            "backend",
							Image:           backendImage,
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
		})
		etp := corev1.ServiceExternalTrafficPolicyCluster
		if s.ExternalTrafficPolicy == topologies.ETPLocal {
			etp = corev1.ServiceExternalTrafficPolicyLocal
		}
		policy := corev1.IPFamilyPolicySingleStack
		if t.Cluster.IPFamily == topologies.DualStack {
			policy = corev1.IPFamilyPolicyRequireDualStack
		}
		ann := map[string]string{}
		if s.Pool != "" {
			ann[annotationPool] = s.Pool
		}
		if len(s.IPs) > 0 {
			var ips []string
			for _, ip := range s.IPs {
				ips = append(ips, ip.String())
			}
			ann[annotationIPs] = strings.Join(ips, ",")
		}
		if s.SharedIP != "" {
			ann[annotationSharedIP] = s.SharedIP
		}
		objs = append(objs, &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: WorkloadNamespace, Labels: managed, Annotations: ann},
			Spec: corev1.ServiceSpec{
				Type:                  corev1.ServiceTypeLoadBalancer,
				Selector:              labels,
				ExternalTrafficPolicy: etp,
				IPFamilyPolicy:        &policy,
				Ports:                 []corev1.ServicePort{{Name: "http", Port: int32(s.Port), TargetPort: intstr.FromInt32(backendPort)}},
			},
		})
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		obj, err := toUnstructured(o)
		if err != nil {
			return nil, err
		}
		unstructured.RemoveNestedField(obj.Object, "status")
		unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(obj.Object, "spec", "template", "metadata", "creationTimestamp")
		out = append(out, obj)
	}
	return out, nil
}

// applyWorkload applies the services and their backends (no waiting).
func (l *Lab) applyWorkload(ctx context.Context, a *applier) error {
	objs, err := workloadObjects(l.topo, l.refs[images.Backend])
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := a.apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// upWorkload waits until the workload applied with MetalLB is ready: every
// backend running and every service holding its LoadBalancer IPs.
func (l *Lab) upWorkload(ctx context.Context) error {
	return wait.Until(ctx, 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) error {
		if err := backendsReady(ctx, l.cluster.client, l.topo); err != nil {
			return err
		}
		for _, s := range l.topo.Services {
			ips, err := l.ServiceIPs(ctx, s.Name)
			if err != nil {
				return err
			}
			if len(ips) == 0 {
				return fmt.Errorf("service %s/%s has no LoadBalancer IP yet", WorkloadNamespace, s.Name)
			}
		}
		return nil
	})
}

// backendsReady: every service's Deployment has all its replicas ready and
// no old ones left.
func backendsReady(ctx context.Context, cs kubernetes.Interface, t topologies.Topology) error {
	var errs []error
	for _, s := range t.Services {
		d, err := cs.AppsV1().Deployments(WorkloadNamespace).Get(ctx, s.Name, metav1.GetOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st := d.Status
		if st.ObservedGeneration < d.Generation || st.ReadyReplicas != int32(s.Replicas) || st.UpdatedReplicas != int32(s.Replicas) || st.Replicas != int32(s.Replicas) {
			errs = append(errs, fmt.Errorf("backend %s: %d/%d replicas ready (%d updated, %d in all)", s.Name, st.ReadyReplicas, s.Replicas, st.UpdatedReplicas, st.Replicas))
		}
	}
	return errors.Join(errs...)
}

// ServiceIPs are the LoadBalancer IPs MetalLB assigned to a service.
func (l *Lab) ServiceIPs(ctx context.Context, service string) ([]netip.Addr, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	svc, err := l.cluster.client.CoreV1().Services(WorkloadNamespace).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(in.IP); err == nil {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out, nil
}

// ServiceEvents are the recent events of a service (MetalLB says there why
// it did not assign an address).
func (l *Lab) ServiceEvents(ctx context.Context, service string) ([]string, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	evs, err := l.cluster.client.CoreV1().Events(WorkloadNamespace).List(ctx, metav1.ListOptions{
		FieldSelector: "involvedObject.kind=Service,involvedObject.name=" + service,
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(evs.Items, func(a, b corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
	var out []string
	for _, e := range evs.Items {
		out = append(out, fmt.Sprintf("%s %s: %s", e.Type, e.Reason, e.Message))
	}
	return out, nil
}

// BackendNodes is the set of nodes (short names) running a ready backend
// pod of a service.
func (l *Lab) BackendNodes(ctx context.Context, service string) (map[string]bool, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	pods, err := l.cluster.client.CoreV1().Pods(WorkloadNamespace).List(ctx, metav1.ListOptions{LabelSelector: LabelService + "=" + service})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out[shortNodeName(l.ClusterName(), p.Spec.NodeName)] = true
			}
		}
	}
	return out, nil
}
