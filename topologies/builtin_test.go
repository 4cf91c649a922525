package topologies

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{"multi-hop", "single-hop"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range Names() {
		tp, err := Builtin(n)
		if err != nil {
			t.Fatalf("Builtin(%q): %v", n, err)
		}
		if tp.Name != n {
			t.Errorf("Builtin(%q).Name = %q", n, tp.Name)
		}
	}
}

func TestBuiltinUnknownListsNames(t *testing.T) {
	_, err := Builtin("singlehop")
	if err == nil {
		t.Fatal("Builtin(\"singlehop\"): no error")
	}
	for _, want := range []string{`"singlehop"`, "single-hop", "multi-hop"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestBuiltinsValidate(t *testing.T) {
	for _, n := range Names() {
		tp, _ := Builtin(n)
		if err := tp.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

// Each builtin comes with a YAML file that a user can copy; loading it must give exactly the
// builtin, so the two cannot drift apart.
func TestExamplesMatchBuiltins(t *testing.T) {
	for _, n := range Names() {
		loaded, err := Load(filepath.Join("examples", n+".yaml"))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		got := loaded.WithDefaults()
		want, _ := Builtin(n)
		if !reflect.DeepEqual(got, want) {
			g, _ := Marshal(got)
			w, _ := Marshal(want)
			t.Errorf("examples/%s.yaml with defaults differs from Builtin(%q)\n--- file:\n%s\n--- builtin:\n%s", n, n, g, w)
		}
	}
}

// The example files rely on defaults; without them Validate names what is missing rather
// than passing or guessing.
func TestExampleWithoutDefaultsIsIncomplete(t *testing.T) {
	loaded, err := Load(filepath.Join("examples", "single-hop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	err = loaded.Validate()
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	for _, path := range []string{"cluster.controlPlanes", "cluster.kubernetesVersion", "routers[edge].routerID", "metallb.peers[0].connectTime", "workload.port"} {
		if !hasPath(errs, path, "not set") {
			t.Errorf("no %q error for %s in:\n%v", "not set", path, err)
		}
	}
}

func TestSingleHopShape(t *testing.T) {
	tp := SingleHop()
	if got := tp.Cluster.AnnouncingNodes(); got != 2 {
		t.Errorf("announcing nodes = %d, want 2 (the workers)", got)
	}
	edge, ok := tp.Router("edge")
	if !ok {
		t.Fatal("no router edge")
	}
	if p, ok := edge.NodesPeer(); !ok || !p.BFD || p.ASN != 64512 || edge.ASN != 64513 || !edge.ECMP {
		t.Errorf("edge = %+v; want eBGP 64513 to nodes 64512 with BFD and ECMP", edge)
	}
	if a, ok := edge.Interface("nodes"); !ok || tp.MetalLB.Peers[0].IPv4 != a.IPv4 {
		t.Errorf("MetalLB peer address %v is not edge's nodes address %v", tp.MetalLB.Peers[0].IPv4, a.IPv4)
	}
}

func TestMultiHopShape(t *testing.T) {
	tp := MultiHop()
	edge, _ := tp.Router("edge")
	transit, _ := tp.Router("transit")
	if _, on := edge.Interface(tp.Cluster.Network); on {
		t.Error("edge is on the nodes' network; multi-hop needs it elsewhere")
	}
	if _, on := transit.Interface(tp.Cluster.Network); !on || !transit.ECMP || transit.Role != RoleTransit {
		t.Errorf("transit = %+v; want it on the nodes' network, doing ECMP", transit)
	}
	if p := tp.MetalLB.Peers[0]; !p.EBGPMultiHop || p.Router != "edge" || p.Network != "core" {
		t.Errorf("MetalLB peer = %+v; want edge on core, multi-hop", p)
	}
	var toTransit Peer
	for _, p := range edge.Peers {
		if p.Router == "transit" {
			toTransit = p
		}
	}
	if !toTransit.AddPathAll || toTransit.ASN != edge.ASN {
		t.Errorf("edge's peer for transit = %+v; want iBGP with add-path", toTransit)
	}
}

// Builtins are built fresh on each call: changing one must not change the next.
func TestBuiltinsAreFresh(t *testing.T) {
	a := SingleHop()
	a.Routers[0].Interfaces[0].Network = "changed"
	a.MetalLB.Pools[0].Addresses[0] = "changed"
	b := SingleHop()
	if b.Routers[0].Interfaces[0].Network != "nodes" || b.MetalLB.Pools[0].Addresses[0] != "10.250.0.0/28" {
		t.Errorf("changing one SingleHop() changed the next: %+v", b.Routers[0])
	}
}

// hasPath reports whether errs has an error at path whose message contains msg.
func hasPath(errs Errors, path, msg string) bool {
	for _, e := range errs {
		if e.Path == path && strings.Contains(e.Msg, msg) {
			return true
		}
	}
	return false
}
