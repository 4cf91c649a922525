package harness

import (
	"encoding/json"
	"fmt"
	"time"

	metallbv1beta1 "go.universe.tf/metallb/api/v1beta1"
	metallbv1beta2 "go.universe.tf/metallb/api/v1beta2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/peerlab/peerlab/topologies"
)

// LabelManaged marks the Kubernetes objects the lab renders from its
// topology (MetalLB resources, services, backends). Apply prunes objects
// with this label that the new topology no longer has.
const LabelManaged = "peerlab.io/managed"

// labObjects are the lab's MetalLB-side objects for backend b: what lets
// the nodes receive routes first (FRR mode's bgpextras must exist before
// the BGPPeers it refers to), then the MetalLB resources.
func labObjects(p *Plan, b backend) ([]*unstructured.Unstructured, error) {
	recv, err := b.receive(p)
	if err != nil {
		return nil, err
	}
	mlb, err := metallbObjects(p)
	if err != nil {
		return nil, err
	}
	return append(recv, mlb...), nil
}

// metallbObjects renders the topology's MetalLB intent with MetalLB's own
// API types, so a misspelt field does not compile.
func metallbObjects(p *Plan) ([]*unstructured.Unstructured, error) {
	t := p.Topology
	m := t.MetalLB
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: MetalLBNamespace, Labels: map[string]string{LabelManaged: "true"}}
	}
	var objs []runtime.Object
	for _, pool := range m.Pools {
		objs = append(objs, &metallbv1beta1.IPAddressPool{
			TypeMeta:   metav1.TypeMeta{APIVersion: "metallb.io/v1beta1", Kind: "IPAddressPool"},
			ObjectMeta: meta(pool.Name),
			Spec: metallbv1beta1.IPAddressPoolSpec{
				Addresses:     pool.Addresses,
				AutoAssign:    ptr.To(pool.AutoAssigns()),
				AvoidBuggyIPs: pool.AvoidBuggyIPs,
			},
		})
	}
	for _, b := range m.BFDProfiles {
		spec := metallbv1beta1.BFDProfileSpec{
			ReceiveInterval:  ptr.To(b.ReceiveInterval),
			TransmitInterval: ptr.To(b.TransmitInterval),
			DetectMultiplier: ptr.To(b.DetectMultiplier),
		}
		if b.EchoMode {
			spec.EchoMode = ptr.To(true)
		}
		if b.EchoInterval != 0 {
			spec.EchoInterval = ptr.To(b.EchoInterval)
		}
		if b.PassiveMode {
			spec.PassiveMode = ptr.To(true)
		}
		if b.MinimumTTL != 0 {
			spec.MinimumTTL = ptr.To(b.MinimumTTL)
		}
		objs = append(objs, &metallbv1beta1.BFDProfile{
			TypeMeta:   metav1.TypeMeta{APIVersion: "metallb.io/v1beta1", Kind: "BFDProfile"},
			ObjectMeta: meta(b.Name),
			Spec:       spec,
		})
	}
	for _, pp := range p.Peers {
		mp := pp.Spec
		spec := metallbv1beta2.BGPPeerSpec{
			MyASN:        m.ASN,
			ASN:          pp.ASN,
			Address:      pp.Address.String(),
			EBGPMultiHop: mp.EBGPMultiHop,
			Password:     mp.Password,
		}
		if pp.BFD != nil {
			spec.BFDProfile = pp.BFD.Name
		}
		if mp.ConnectTime != 0 {
			spec.ConnectTime = duration(mp.ConnectTime.Std())
		}
		if mp.HoldTime != 0 {
			spec.HoldTime = duration(mp.HoldTime.Std())
		}
		if mp.KeepaliveTime != 0 {
			spec.KeepaliveTime = duration(mp.KeepaliveTime.Std())
		}
		if len(mp.Nodes) > 0 {
			spec.NodeSelectors = nodeSelectors(mp.Nodes)
		}
		objs = append(objs, &metallbv1beta2.BGPPeer{
			TypeMeta:   metav1.TypeMeta{APIVersion: "metallb.io/v1beta2", Kind: "BGPPeer"},
			ObjectMeta: meta(pp.Name),
			Spec:       spec,
		})
	}
	for _, a := range m.Advertisements {
		spec := metallbv1beta1.BGPAdvertisementSpec{
			IPAddressPools: a.Pools,
			LocalPref:      a.LocalPref,
		}
		for _, c := range a.Communities {
			// MetalLB takes well-known names only through Community
			// resources; the numeric value says the same.
			spec.Communities = append(spec.Communities, topologies.CommunityValue(c))
		}
		if a.AggregationLength != 0 {
			spec.AggregationLength = ptr.To(int32(a.AggregationLength))
		}
		if a.AggregationLengthV6 != 0 {
			spec.AggregationLengthV6 = ptr.To(int32(a.AggregationLengthV6))
		}
		if len(a.Nodes) > 0 {
			spec.NodeSelectors = nodeSelectors(a.Nodes)
		}
		for _, r := range a.Peers {
			for _, pp := range p.PeersOf(r) {
				spec.Peers = append(spec.Peers, pp.Name)
			}
		}
		objs = append(objs, &metallbv1beta1.BGPAdvertisement{
			TypeMeta:   metav1.TypeMeta{APIVersion: "metallb.io/v1beta1", Kind: "BGPAdvertisement"},
			ObjectMeta: meta(a.Name),
			Spec:       spec,
		})
	}
	for _, a := range m.L2Advertisements {
		spec := metallbv1beta1.L2AdvertisementSpec{IPAddressPools: a.Pools, Interfaces: a.Interfaces}
		if len(a.Nodes) > 0 {
			spec.NodeSelectors = nodeSelectors(a.Nodes)
		}
		objs = append(objs, &metallbv1beta1.L2Advertisement{
			TypeMeta:   metav1.TypeMeta{APIVersion: "metallb.io/v1beta1", Kind: "L2Advertisement"},
			ObjectMeta: meta(a.Name),
			Spec:       spec,
		})
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		obj, err := toUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("metallb object: %w", err)
		}
		// Server-side apply of a typed object's zero status is noise.
		unstructured.RemoveNestedField(obj.Object, "status")
		unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
		out = append(out, obj)
	}
	return out, nil
}

// nodeSelectors selects nodes by their topology names (the label the lab
// puts on every node).
func nodeSelectors(nodes []string) []metav1.LabelSelector {
	return []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: topologies.NodeLabel, Operator: metav1.LabelSelectorOpIn, Values: nodes,
	}}}}
}

// toUnstructured converts a typed object through JSON, so numbers come out
// as int64 (the converter keeps uint32 as uint64, which unstructured
// objects cannot deep-copy).
func toUnstructured(o runtime.Object) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return u, nil
}

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
