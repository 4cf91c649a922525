package topologies

import (
	"fmt"
	"slices"
	"strings"
)

// Backend is the MetalLB BGP implementation the lab deploys. What each one can do is data
// here (validation refuses what a backend cannot do before anything starts); how each one
// is deployed and where its speaker-side FRR runs is the harness's business.
type Backend string

const (
	// BackendFRR runs FRR inside each speaker pod (metallb-frr.yaml). The default.
	BackendFRR Backend = "frr"
	// BackendNative is MetalLB's own Go BGP speaker (metallb-native.yaml): no FRR on the
	// nodes, so no BFD and nothing the routers send is ever installed.
	BackendNative Backend = "native"
	// BackendFRRK8s runs FRR in the separate frr-k8s DaemonSet that the speakers configure
	// through FRRConfiguration resources (metallb-frr-k8s.yaml).
	BackendFRRK8s Backend = "frr-k8s"
)

// Backends lists every backend, the default first.
func Backends() []Backend { return []Backend{BackendFRR, BackendNative, BackendFRRK8s} }

// ParseBackend checks a backend name given on a command line or in an environment variable.
func ParseBackend(s string) (Backend, error) {
	b := Backend(s)
	if !slices.Contains(Backends(), b) {
		return "", fmt.Errorf("unknown MetalLB backend %q (want %s)", s, backendList())
	}
	return b, nil
}

func backendList() string {
	var s []string
	for _, b := range Backends() {
		s = append(s, string(b))
	}
	return strings.Join(s, ", ")
}

// Or returns the backend, or BackendFRR when it is unset.
func (b Backend) Or() Backend {
	if b == "" {
		return BackendFRR
	}
	return b
}

// SpeakerFRR reports whether the nodes run FRR that the checks can ask (vtysh in the speaker
// pod or in the frr-k8s pod); the native speaker has none, so checks of the speakers' side
// are left to the routers' view.
func (b Backend) SpeakerFRR() bool { return b.Or() != BackendNative }

// BFD reports whether the backend runs BFD with its peers.
func (b Backend) BFD() bool { return b.Or() != BackendNative }

// The native speaker refuses what MetalLB calls FRR-only (its DiscardFRROnly check): a
// connect time, a keepalive time, IPv6 addresses, large communities; the others take them.
func (b Backend) ConnectTime() bool      { return b.Or() != BackendNative }
func (b Backend) KeepaliveTime() bool    { return b.Or() != BackendNative }
func (b Backend) IPv6() bool             { return b.Or() != BackendNative }
func (b Backend) LargeCommunities() bool { return b.Or() != BackendNative }

// IBGPZeroLocalPref reports whether the speaker sends LOCAL_PREF 0 to iBGP peers when no
// advertisement sets one. The native speaker puts LOCAL_PREF in every iBGP UPDATE, with the
// advertisement's value, 0 when unset (a router then prefers any path with the usual
// default of 100 over it); FRR sends none unless it is set, and the router applies 100.
func (b Backend) IBGPZeroLocalPref() bool { return b.Or() == BackendNative }

// ReceiveRoutes reports whether the nodes can install routes their peers send: FRR does it
// on the node (the speaker pod's or frr-k8s's, in the host's network namespace); the native
// speaker only announces.
func (b Backend) ReceiveRoutes() bool { return b.Or() != BackendNative }

// ForBackend returns the topology run with backend b. A topology written for the FRR
// backend loses what b cannot do: with the native backend, the MetalLB peers' BFD profiles
// and the routers' BFD towards the nodes (the native speaker has no BFD; a router would
// otherwise wait for a BFD session that never comes up). Anything else b cannot do stays
// and is refused by Validate. Defaults are applied to the result.
func (t Topology) ForBackend(b Backend) (Topology, error) {
	if _, err := ParseBackend(string(b)); err != nil {
		return Topology{}, err
	}
	t = t.Clone()
	t.MetalLB.Backend = b
	if !b.ConnectTime() {
		for i := range t.MetalLB.Peers {
			if t.MetalLB.Peers[i].ConnectTime == Duration(DefaultConnectTime) {
				t.MetalLB.Peers[i].ConnectTime = 0
			}
		}
	}
	if !b.BFD() {
		t.MetalLB.BFDProfiles = nil
		for i := range t.MetalLB.Peers {
			t.MetalLB.Peers[i].BFDProfile = ""
		}
		for i := range t.Routers {
			for j := range t.Routers[i].Peers {
				if t.Routers[i].Peers[j].Nodes {
					t.Routers[i].Peers[j].BFD = false
				}
			}
		}
	}
	return t.WithDefaults(), nil
}
