package harness

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	frrk8sv1beta1 "github.com/metallb/frr-k8s/api/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/peerlab/peerlab/topologies"
)

// Receiving routes on the nodes. MetalLB denies everything its peers send
// (route-map <peer>-in deny 20 in FRR mode; frr-k8s receives nothing unless
// told). A MetalLB peer's Receive lifts that for its prefixes, the way each
// backend takes it: FRR mode from the bgpextras ConfigMap, appended verbatim
// to the speakers' frr.conf; frr-k8s from an FRRConfiguration that frr-k8s
// merges with the one the speaker writes for the node.

// bgpExtrasName is the ConfigMap MetalLB's FRR mode reads (key extras).
const (
	bgpExtrasName = "bgpextras"
	bgpExtrasKey  = "extras"
)

var configMapKind = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}

// receivingPeers are the planned peers whose nodes accept routes.
func receivingPeers(p *Plan) []PlannedPeer {
	var out []PlannedPeer
	for _, pp := range p.Peers {
		if len(receiveFor(pp)) > 0 {
			out = append(out, pp)
		}
	}
	return out
}

// receiveFor are a peer's Receive entries of its session's family: an IPv4
// session carries IPv4 routes only (MetalLB enables one address family per
// session).
func receiveFor(pp PlannedPeer) []topologies.ReceivePrefix {
	var out []topologies.ReceivePrefix
	for _, r := range pp.Spec.Receive {
		if r.Prefix.Addr().Is4() == pp.Address.Is4() {
			out = append(out, r)
		}
	}
	return out
}

// bgpExtras renders FRR-mode's bgpextras: per receiving peer a prefix-list
// and "route-map <peer>-in permit 10" matching it, ahead of MetalLB's own
// "deny 20", which stays the fall-through. (Redefining sequence 20 as
// permit, as MetalLB's docs show, leaves frr.conf saying deny 20 and permit
// 20 for one entry, and frr-reload turns it back to deny at the speaker's
// next reload.) Nil when no peer receives.
func bgpExtras(p *Plan) (*unstructured.Unstructured, error) {
	var b strings.Builder
	for _, pp := range receivingPeers(p) {
		ip, match := "ip", "ip"
		if pp.Address.Is6() {
			ip, match = "ipv6", "ipv6"
		}
		list := "peerlab-" + pp.Name + "-in"
		for i, r := range receiveFor(pp) {
			fmt.Fprintf(&b, "%s prefix-list %s seq %d permit %s", ip, list, 5*(i+1), r.Prefix)
			if r.LE != 0 {
				fmt.Fprintf(&b, " le %d", r.LE)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "route-map %s-in permit 10\n  match %s address prefix-list %s\nexit\n", pp.Address, match, list)
	}
	if b.Len() == 0 {
		return nil, nil
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: bgpExtrasName, Namespace: MetalLBNamespace, Labels: map[string]string{LabelManaged: "true"}},
		Data:       map[string]string{bgpExtrasKey: b.String()},
	}
	return toUnstructured(cm)
}

var frrConfigurationKind = schema.GroupVersionKind{Group: "frrk8s.metallb.io", Version: "v1beta1", Kind: "FRRConfiguration"}

// receiveConfigurations renders, per receiving peer, an FRRConfiguration
// for the nodes that peer selects, whose neighbor accepts the peer's
// prefixes. frr-k8s merges it with the speaker's own configuration of the
// node only when the neighbor's settings agree, so it repeats them
// (ASN, password, multi-hop, timers).
func receiveConfigurations(p *Plan) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, pp := range receivingPeers(p) {
		mp := pp.Spec
		n := frrk8sv1beta1.Neighbor{
			ASN:          pp.ASN,
			Address:      pp.Address.String(),
			Password:     mp.Password,
			EBGPMultiHop: mp.EBGPMultiHop,
		}
		// The timers as MetalLB completes them for the speaker's own
		// configuration: frr-k8s merges only equal ones.
		if hold, keepalive := metallbTimers(mp.HoldTime.Std(), mp.KeepaliveTime.Std()); hold != 0 {
			n.HoldTime, n.KeepaliveTime = duration(hold), duration(keepalive)
		}
		if mp.ConnectTime != 0 {
			n.ConnectTime = duration(mp.ConnectTime.Std())
		}
		for _, r := range receiveFor(pp) {
			n.ToReceive.Allowed.Prefixes = append(n.ToReceive.Allowed.Prefixes, frrk8sv1beta1.PrefixSelector{Prefix: r.Prefix.String(), LE: uint32(r.LE)})
		}
		n.ToReceive.Allowed.Mode = frrk8sv1beta1.AllowRestricted
		fc := &frrk8sv1beta1.FRRConfiguration{
			TypeMeta:   metav1.TypeMeta{APIVersion: "frrk8s.metallb.io/v1beta1", Kind: "FRRConfiguration"},
			ObjectMeta: metav1.ObjectMeta{Name: "peerlab-receive-" + pp.Name, Namespace: MetalLBNamespace, Labels: map[string]string{LabelManaged: "true"}},
			Spec: frrk8sv1beta1.FRRConfigurationSpec{
				BGP:          frrk8sv1beta1.BGPConfig{Routers: []frrk8sv1beta1.Router{{ASN: p.Topology.MetalLB.ASN, Neighbors: []frrk8sv1beta1.Neighbor{n}}}},
				NodeSelector: nodeSelectors(pp.Nodes)[0],
			},
		}
		u, err := toUnstructured(fc)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Receives is whether a node with this session installs the route for q
// its router sends (the peer's Receive accepts it, in the session's family).
func (pp PlannedPeer) Receives(q netip.Prefix) bool {
	for _, r := range receiveFor(pp) {
		if r.Accepts(q) {
			return true
		}
	}
	return false
}

// metallbTimers completes a BGPPeer's hold and keepalive times the way
// MetalLB does before it configures FRR: a lone hold time gets a third of
// it as keepalive (not rounded), a lone keepalive three times it as hold.
func metallbTimers(hold, keepalive time.Duration) (time.Duration, time.Duration) {
	switch {
	case hold != 0 && keepalive == 0:
		keepalive = hold / 3
	case hold == 0 && keepalive != 0:
		hold = 3 * keepalive
	}
	return hold, keepalive
}
