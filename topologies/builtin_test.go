package topologies

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	if got, want := Names(), []string{"multi-hop", "reference", "single-hop"}; !slices.Equal(got, want) {
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

// Every example file loads, and prepares (defaults, validation) without error: the files
// users copy and pass to peerlab up or peerlab apply -f are valid.
func TestExamplesPrepare(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
		loaded, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, err := loaded.Prepare(); err != nil {
			t.Errorf("%s: Prepare: %v", f, err)
		}
		data, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(data), "# "+loaded.Name+": ") {
			t.Errorf("%s does not start with a header comment %q", f, "# "+loaded.Name+": ")
		}
	}
	for _, want := range append(Names(), "communities", "services") {
		if !slices.Contains(names, want) {
			t.Errorf("no examples/%s.yaml (have %v)", want, names)
		}
	}
}

// communities.yaml is the example for peerlab apply -f on a running single-hop lab: it may
// only differ in what a running lab can take.
func TestCommunitiesExample(t *testing.T) {
	loaded, err := Load(filepath.Join("examples", "communities.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	sh := SingleHop()
	if !reflect.DeepEqual(got.Cluster, sh.Cluster) || !reflect.DeepEqual(got.Networks, sh.Networks) ||
		!reflect.DeepEqual(got.Routers, sh.Routers) || !reflect.DeepEqual(got.Clients, sh.Clients) {
		t.Error("communities.yaml differs from single-hop in its cluster, networks, routers or clients: a running lab could not apply it")
	}
	ads := got.MetalLB.Advertisements
	if len(ads) != 1 || ads[0].LocalPref != 200 ||
		!slices.Equal(ads[0].Communities, []string{"64512:100", "no-advertise", "large:64512:1:2"}) {
		t.Errorf("advertisements = %+v; want one with the three communities and localPref 200", ads)
	}
}

func TestServicesExample(t *testing.T) {
	loaded, err := Load(filepath.Join("examples", "services.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Prepare()
	if err != nil {
		t.Fatal(err)
	}
	pools := got.MetalLB.Pools
	if len(pools) != 2 || !pools[0].AutoAssigns() || pools[1].AutoAssigns() {
		t.Errorf("pools = %+v; want two, the second without autoAssign", pools)
	}
	web, okWeb := got.Service("web")
	api, okAPI := got.Service("api")
	if !okWeb || !okAPI || len(got.Services) != 2 {
		t.Fatalf("services = %+v; want web and api", got.Services)
	}
	if web.Pool != pools[1].Name || len(api.IPs) != 1 || web.ExternalTrafficPolicy != ETPLocal || api.ExternalTrafficPolicy != ETPLocal {
		t.Errorf("web = %+v, api = %+v; want web on the second pool, api with one address, both Local", web, api)
	}
	if web.Replicas != 2 || api.Port != 8080 {
		t.Errorf("defaults: web replicas %d (want 2), api port %d (want 8080)", web.Replicas, api.Port)
	}
}

func TestReferenceShape(t *testing.T) {
	tp := Reference()
	want := map[string]struct {
		asn      uint32
		role     Role
		multiHop bool // nodes peer
		peers    bool // peers with the nodes
	}{
		"ebgp":    {64513, RoleEdge, false, true},
		"ibgp":    {64512, RoleEdge, false, true},
		"transit": {64514, RoleTransit, false, false},
		"ebgp-mh": {64514, RoleEdge, true, true},
		"ibgp-mh": {64512, RoleEdge, true, true},
	}
	if len(tp.Routers) != len(want) {
		t.Fatalf("routers = %v", routerNames(&tp))
	}
	for name, w := range want {
		r, ok := tp.Router(name)
		if !ok {
			t.Errorf("no router %s", name)
			continue
		}
		p, peers := r.NodesPeer()
		if r.ASN != w.asn || r.Role != w.role || peers != w.peers {
			t.Errorf("%s: asn %d role %s peers with the nodes %t; want %d %s %t", name, r.ASN, r.Role, peers, w.asn, w.role, w.peers)
		}
		if !peers {
			// transit hears the nodes' paths from ebgp-mh (iBGP, add-path).
			if len(r.Peers) != 1 || r.Peers[0].Router != "ebgp-mh" || r.Peers[0].ASN != r.ASN || !r.ECMP {
				t.Errorf("%s has peers %+v (ECMP %v); want iBGP with ebgp-mh only, and ECMP", name, r.Peers, r.ECMP)
			}
			continue
		}
		if p.MultiHop != w.multiHop || !p.BFD || p.Password != ReferencePassword || !r.ECMP || p.ASN != tp.MetalLB.ASN {
			t.Errorf("%s's peer for the nodes = %+v (ecmp %t)", name, p, r.ECMP)
		}
	}
	if tp.MetalLB.ASN != 64512 || len(tp.MetalLB.Peers) != 4 {
		t.Fatalf("metallb = %+v", tp.MetalLB)
	}
	for _, p := range tp.MetalLB.Peers {
		wantNet := "nodes"
		if want[p.Router].multiHop {
			wantNet = "core"
		}
		ibgp := p.ASN == tp.MetalLB.ASN
		if p.Network != wantNet || p.EBGPMultiHop != (wantNet == "core" && !ibgp) || p.BFDProfile != "fast" || p.Password != ReferencePassword {
			t.Errorf("MetalLB peer %+v", p)
		}
	}
	c := tp.Cluster
	if c.Workers != 2 || c.AnnouncingNodes() != 2 || len(c.Routes) != 4 {
		t.Errorf("cluster = %+v", c)
	}
	via := map[string]string{}
	for _, rt := range c.Routes {
		via[rt.Prefix.String()] = rt.Via.String()
	}
	for prefix, hop := range map[string]string{"172.29.0.0/24": "172.30.0.4", "fd00:29::/64": "fd00:30::4", "172.31.0.0/24": "172.30.0.2", "fd00:31::/64": "fd00:30::2"} {
		if via[prefix] != hop {
			t.Errorf("node route to %s via %s, want %s", prefix, via[prefix], hop)
		}
	}
	if cl, _ := tp.Client("client"); cl.Via != "ebgp" || cl.IPv4 != netip.MustParseAddr("172.31.0.10") {
		t.Errorf("client = %+v", cl)
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
	for _, path := range []string{"cluster.controlPlanes", "cluster.kubernetesVersion", "routers[edge].routerID", "metallb.peers[0].connectTime", "services"} {
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
