package harness

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

func prepared(t *testing.T, topo topologies.Topology) topologies.Topology {
	t.Helper()
	p, err := topo.Prepare()
	require.NoError(t, err)
	return p
}

// Every builtin router renders to a configuration the routers package
// accepts, with the nodes behind a listen range on the dynamic half.
func TestRouterSpecsOfBuiltins(t *testing.T) {
	for _, name := range topologies.Names() {
		topo, err := topologies.Builtin(name)
		require.NoError(t, err)
		topo = prepared(t, topo)
		plan := NewPlan(topo, testNodes)
		for _, r := range topo.Routers {
			s, err := routerSpec(plan, r.Name)
			require.NoError(t, err, "%s/%s", name, r.Name)
			require.NoError(t, s.Validate(), "%s/%s", name, r.Name)
			conf, err := s.Render()
			require.NoError(t, err)
			if _, ok := r.NodesPeer(); ok {
				require.Contains(t, conf.FRRConf, "neighbor 172.30.0.130 peer-group nodes", "%s/%s", name, r.Name)
				require.Contains(t, conf.FRRConf, "bfd", "%s/%s", name, r.Name)
			}
		}
	}
	topo := prepared(t, topologies.MultiHop())
	s, err := routerSpec(NewPlan(topo, testNodes), "edge")
	require.NoError(t, err)
	conf, err := s.Render()
	require.NoError(t, err)
	require.Contains(t, conf.FRRConf, "addpath-tx-all-paths", "edge gives transit every node's path")
	require.Contains(t, conf.FRRConf, "ebgp-multihop", "edge is not on the nodes' network")
}

var testNodes = []Node{
	{Name: "peerlab-a1b2c3-control-plane", short: "control-plane", IPv4: netip.MustParseAddr("172.30.0.129")},
	{Name: "peerlab-a1b2c3-worker", short: "worker", IPv4: netip.MustParseAddr("172.30.0.130"), Announces: true},
	{Name: "peerlab-a1b2c3-worker2", short: "worker2", IPv4: netip.MustParseAddr("172.30.0.131"), Announces: true},
}

// A peer's node selector narrows the router's neighbors and the BGPPeer's
// nodeSelectors to the selected nodes; the plan says the same to both.
func TestPlanPeerNodeSelector(t *testing.T) {
	topo := topologies.Reference()
	for i := range topo.MetalLB.Peers {
		topo.MetalLB.Peers[i].Nodes = []string{"worker2"}
	}
	topo = prepared(t, topo)
	plan := NewPlan(topo, testNodes)
	require.Len(t, plan.Peers, 4)
	for _, name := range []string{"ebgp", "ibgp", "ebgp-mh", "ibgp-mh"} {
		rp := plan.Routers[name]
		require.Equal(t, []netip.Addr{netip.MustParseAddr("172.30.0.131")}, rp.NodeAddrs(), name)
		s, err := routerSpec(plan, name)
		require.NoError(t, err)
		require.Len(t, slices.DeleteFunc(s.Neighbors, func(n routers.Neighbor) bool { return n.PeerGroup != nodesPeerGroup }), 1, name)
		require.Equal(t, topologies.ReferencePassword, s.PeerGroups[0].Password, name)
	}
	require.True(t, plan.Routers["ibgp"].IBGP)
	require.Empty(t, plan.SpeakerPeers("worker"))
	require.Len(t, plan.SpeakerPeers("worker2"), 4)
	objs, err := metallbObjects(plan)
	require.NoError(t, err)
	for _, o := range objs {
		if o.GetKind() != "BGPPeer" {
			continue
		}
		sel, _, _ := unstructured.NestedSlice(o.Object, "spec", "nodeSelectors")
		require.Len(t, sel, 1, o.GetName())
		require.Equal(t, topologies.ReferencePassword, o.Object["spec"].(map[string]any)["password"])
	}
}

// Apply refuses what needs a new lab, naming every field, before touching
// anything (no cluster is needed to get there).
func TestApplyRefusesNewLabChanges(t *testing.T) {
	lab, err := New(topologies.SingleHop())
	require.NoError(t, err)
	next := topologies.SingleHop()
	next.Cluster.Workers = 3
	next.Networks = append(next.Networks, topologies.Network{Name: "extra", IPv4: netip.MustParsePrefix("172.28.9.0/24"), IPv6: netip.MustParsePrefix("fd00:28:9::/64")})
	next.Clients[0].IPv4 = netip.MustParseAddr("172.31.0.11")
	_, err = lab.Apply(t.Context(), next)
	var nl *NeedsNewLabError
	require.ErrorAs(t, err, &nl)
	require.ErrorContains(t, err, "cluster.workers: 2 -> 3")
	require.ErrorContains(t, err, "networks")
	require.ErrorContains(t, err, "clients")

	bad := topologies.SingleHop()
	bad.MetalLB.Advertisements = []topologies.BGPAdvertisement{{Pools: []string{"nope"}}}
	_, err = lab.Apply(t.Context(), bad)
	require.ErrorContains(t, err, `unknown pool "nope"`)
}

func TestMetalLBResourcesOfSingleHop(t *testing.T) {
	topo := prepared(t, topologies.SingleHop())
	objs, err := metallbObjects(NewPlan(topo, testNodes))
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		require.Equal(t, MetalLBNamespace, o.GetNamespace())
	}
	require.Equal(t, map[string]int{"IPAddressPool": 1, "BFDProfile": 1, "BGPPeer": 1, "BGPAdvertisement": 1}, kinds)
	for _, o := range objs {
		if o.GetKind() != "BGPPeer" {
			continue
		}
		spec := o.Object["spec"].(map[string]any)
		require.Equal(t, "172.30.0.2", spec["peerAddress"])
		require.Equal(t, int64(64512), spec["myASN"])
		require.Equal(t, int64(64513), spec["peerASN"])
		require.Equal(t, "fast", spec["bfdProfile"])
		require.Equal(t, "5s", spec["connectTime"])
		require.Equal(t, "edge-172-30-0-2", o.GetName())
		require.Equal(t, "true", o.GetLabels()[LabelManaged])
	}
}

// Well-known community names go to MetalLB as numbers (v0.16.1 parses no
// names), and the advertisement's peers name the router's BGPPeers.
func TestMetalLBAdvertisementFields(t *testing.T) {
	topo := topologies.Reference()
	topo.MetalLB.Advertisements = []topologies.BGPAdvertisement{{
		Communities: []string{"no-advertise", "64512:7", "large:1:2:3"}, LocalPref: 50,
		AggregationLength: 30, Nodes: []string{"worker"}, Peers: []string{"ibgp"},
	}}
	objs, err := metallbObjects(NewPlan(prepared(t, topo), testNodes))
	require.NoError(t, err)
	var ad *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "BGPAdvertisement" {
			ad = o
		}
	}
	require.NotNil(t, ad)
	spec := ad.Object["spec"].(map[string]any)
	require.Equal(t, []any{"65535:65282", "64512:7", "large:1:2:3"}, spec["communities"])
	require.Equal(t, []any{"ibgp-172-30-0-3"}, spec["peers"])
	require.Equal(t, int64(30), spec["aggregationLength"])
	require.Equal(t, int64(50), spec["localPref"])
}

func TestKindConfigSkipsCoreDNS(t *testing.T) {
	topo := prepared(t, topologies.SingleHop())
	cfg := kindConfig(topo)
	require.Len(t, cfg.Nodes, 3)
	require.Equal(t, v1alpha4.ControlPlaneRole, cfg.Nodes[0].Role)
	require.Equal(t, v1alpha4.IPv4Family, cfg.Networking.IPFamily)
	require.Equal(t, "10.244.0.0/16", cfg.Networking.PodSubnet)
	require.True(t, strings.Contains(cfg.KubeadmConfigPatches[0], "addon/coredns"))
	require.Equal(t, []string{"10.96.0.10"}, clusterDNS(topo.Cluster))
}

func TestNetworkPlanNames(t *testing.T) {
	topo := prepared(t, topologies.MultiHop())
	plan := networkPlan("a1b2c3", topo)
	require.Len(t, plan, 3)
	for _, n := range plan {
		require.LessOrEqual(t, len(n.bridge), 15, "Linux limits interface names to 15 characters")
		require.True(t, strings.HasPrefix(n.name, "peerlab-a1b2c3-"))
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	topo := topologies.SingleHop()
	topo.Routers[0].ASN = 0
	_, err := New(topo)
	require.ErrorContains(t, err, "routers[edge].asn")
	_, err = New(topologies.SingleHop(), WithID("XYZ"))
	require.ErrorContains(t, err, "6 lowercase hex digits")
}

// The MetalLB manifest, patched: every container runs the lab's images,
// never pulls, and readiness is polled every second from the start.
func TestPatchMetalLBManifest(t *testing.T) {
	for _, tc := range []struct {
		backend topologies.Backend
		images  []string
	}{
		{topologies.BackendFRR, []string{"c:1", "s:1", "f:1"}},
		{topologies.BackendNative, []string{"c:1", "s:1"}},
		{topologies.BackendFRRK8s, []string{"c:1", "s:1", "f:1", "k:1"}},
	} {
		t.Run(string(tc.backend), func(t *testing.T) {
			testPatchMetalLB(t, backends[tc.backend], tc.images)
		})
	}
}

func testPatchMetalLB(t *testing.T, b backend, wantImages []string) {
	raw, err := images.ModuleManifest(context.Background(), b.manifest())
	require.NoError(t, err)
	objs, err := decodeYAML(raw)
	require.NoError(t, err)
	refs := images.Refs{images.MetalLBController: "c:1", images.MetalLBSpeaker: "s:1", images.FRR: "f:1", images.FRRK8s: "k:1"}
	require.NoError(t, patchMetalLB(objs, refs, b))
	seen := map[string]bool{}
	probes, frrs := 0, 0
	for _, o := range objs {
		if o.GetKind() != "Deployment" && o.GetKind() != "DaemonSet" {
			continue
		}
		for _, field := range []string{"containers", "initContainers"} {
			cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
			for _, c := range cs {
				m := c.(map[string]any)
				seen[m["image"].(string)] = true
				if m["image"] == "k:1" && field == "initContainers" {
					// The kit's frr-k8s image has no shell: copies go through cp-tool.
					cmd := m["command"].([]any)
					assert.Equal(t, "/cp-tool", cmd[0], "%s %s", o.GetName(), m["name"])
					assert.Len(t, cmd, 3)
				}
				if m["name"] == "frr" && field == "containers" {
					frrs++
					cmd := m["command"].([]any)
					assert.True(t, strings.HasPrefix(cmd[2].(string), routers.FreshPidFiles), "%s frr starts with its stale pid files gone: %v", o.GetName(), cmd)
					assert.Equal(t, frrCPURequest, m["resources"].(map[string]any)["requests"].(map[string]any)["cpu"], "%s frr requests CPU (its BFD keeps time under load)", o.GetName())
				}
				if m["name"] == "frr-status" {
					assert.Contains(t, m["args"], "--poll-interval="+frrK8sPollInterval)
				}
				assert.Equal(t, "Never", m["imagePullPolicy"], "%s %s", o.GetName(), m["name"])
				if m["name"] == "speaker" && field == "containers" {
					assert.Contains(t, m["env"], map[string]any{"name": speakerDebounceEnv, "value": speakerDebounceMs})
				}
				if p, ok := m["livenessProbe"].(map[string]any); ok {
					assert.GreaterOrEqual(t, number(p["timeoutSeconds"]), probeTimeout, "%s %s liveness probe timeout", o.GetName(), m["name"])
				}
				for _, probe := range []string{"readinessProbe", "startupProbe"} {
					p, ok := m[probe].(map[string]any)
					if !ok {
						continue
					}
					probes++
					assert.GreaterOrEqual(t, number(p["timeoutSeconds"]), probeTimeout, "%s %s %s timeout", o.GetName(), m["name"], probe)
					assert.NotContains(t, p, "initialDelaySeconds", "%s %s %s", o.GetName(), m["name"], probe)
					assert.EqualValues(t, 1, p["periodSeconds"], "%s %s %s", o.GetName(), m["name"], probe)
					if probe == "startupProbe" {
						// 30 × 5 s in the manifest: the budget stays 150 s.
						assert.EqualValues(t, 150, p["failureThreshold"])
					}
				}
			}
		}
	}
	want := map[string]bool{}
	for _, img := range wantImages {
		want[img] = true
	}
	assert.Equal(t, want, seen)
	assert.Equal(t, map[bool]int{true: 0, false: 1}[b.manifest() == images.ManifestNative], frrs, "FRR containers")

	// The speakers mount the memberlist secret the lab creates, and it
	// comes after its namespace.
	objs, err = withMemberlistSecret(objs)
	require.NoError(t, err)
	ns, sec := -1, -1
	for i, o := range objs {
		switch {
		case o.GetKind() == "Namespace" && o.GetName() == MetalLBNamespace:
			ns = i
		case o.GetKind() == "Secret" && o.GetName() == memberlistSecretName:
			sec = i
		case o.GetKind() == "DaemonSet" && o.GetName() == "speaker":
			vols, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "volumes")
			mounted := false
			for _, v := range vols {
				if name, _, _ := unstructured.NestedString(v.(map[string]any), "secret", "secretName"); name == memberlistSecretName {
					mounted = true
				}
			}
			assert.True(t, mounted, "speaker mounts secret %s", memberlistSecretName)
		}
	}
	require.GreaterOrEqual(t, ns, 0)
	assert.Equal(t, ns+1, sec)

	// Early speakers tolerate NotReady nodes and reach the API server on
	// the nodes' network, not through the service address.
	require.NoError(t, earlySpeakers(objs, netip.MustParseAddrPort("172.30.0.130:6443")))
	early := 0
	for _, o := range objs {
		// Every host-network DaemonSet: the speakers, and frr-k8s's daemon.
		if host, _, _ := unstructured.NestedBool(o.Object, "spec", "template", "spec", "hostNetwork"); o.GetKind() != "DaemonSet" || !host {
			continue
		}
		early++
		tols, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "tolerations")
		assert.Contains(t, tols, map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}, o.GetName())
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range cs {
			m := c.(map[string]any)
			if m["name"] == "speaker" || m["name"] == "controller" {
				assert.Contains(t, m["env"], map[string]any{"name": "KUBERNETES_SERVICE_HOST", "value": "172.30.0.130"})
				assert.Contains(t, m["env"], map[string]any{"name": "KUBERNETES_SERVICE_PORT", "value": "6443"})
			}
		}
	}
	assert.Equal(t, map[bool]int{true: 2, false: 1}[b.manifest() == images.ManifestFRRK8s], early, "host-network DaemonSets started early")
	assert.GreaterOrEqual(t, probes, len(wantImages), "a probe per image's container")
}

// Routers that route through another start after it: in the reference
// topology the multi-hop routers wait for transit; a loop of routers that
// route through each other still starts, together.
func TestStartWaves(t *testing.T) {
	names := func(waves [][]topologies.Router) [][]string {
		var out [][]string
		for _, w := range waves {
			var ns []string
			for _, r := range w {
				ns = append(ns, r.Name)
			}
			out = append(out, ns)
		}
		return out
	}
	ref, err := topologies.Builtin("reference")
	require.NoError(t, err)
	ref = prepared(t, ref)
	assert.Equal(t, [][]string{{"ebgp", "ibgp", "transit"}, {"ebgp-mh", "ibgp-mh"}}, names(startWaves(ref)))

	single, err := topologies.Builtin("single-hop")
	require.NoError(t, err)
	single = prepared(t, single)
	waves := startWaves(single)
	require.Len(t, waves, 1, "single-hop has no router behind another")

	// transit and ebgp-mh route through each other: they and ibgp-mh
	// behind them start in one last wave.
	loop := ref.Clone()
	for i, r := range loop.Routers {
		if r.Name == "transit" {
			loop.Routers[i].Routes = append(loop.Routers[i].Routes, topologies.StaticRoute{
				Prefix: netip.MustParsePrefix("10.99.0.0/24"), Via: netip.MustParseAddr("172.29.0.3")})
		}
	}
	assert.Equal(t, [][]string{{"ebgp", "ibgp"}, {"transit", "ebgp-mh", "ibgp-mh"}}, names(startWaves(loop)))
}

// The nodes keep an on-link route for every pool outside their network
// (a service address not yet in kube-proxy's rules must not take the
// default route out of the lab), none for an L2 pool inside it.
func TestNodeRoutesHoldPools(t *testing.T) {
	l2, err := topologies.Builtin("single-hop")
	require.NoError(t, err)
	topo := prepared(t, l2)
	topo.MetalLB.Pools = append(topo.MetalLB.Pools,
		topologies.Pool{Name: "ranged", Addresses: []string{"10.251.0.1-10.251.0.3"}},
		topologies.Pool{Name: "on-segment", Addresses: []string{"172.30.0.100/32"}})
	f, err := nodeRoutes(topo)
	require.NoError(t, err)
	var onLink []string
	for _, r := range f.Routes {
		if !r.Via.IsValid() && r.Dst.Bits() > 0 {
			onLink = append(onLink, r.Dst.String())
		}
	}
	for _, want := range []string{"10.251.0.1/32", "10.251.0.2/31"} {
		assert.Contains(t, onLink, want)
	}
	for _, p := range topo.MetalLB.Pools[0].Addresses {
		assert.Contains(t, onLink, p, "the builtin's first pool")
	}
	assert.NotContains(t, onLink, "172.30.0.100/32", "an L2 pool inside the nodes' network is on-link already")
}
