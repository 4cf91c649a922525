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
	"time"
)

func TestRoundTrip(t *testing.T) {
	inputs := map[string]Topology{"full": fullTopology(), "full-l2": fullL2Topology(), "dual": dual().WithDefaults(), "minimal": minimal()}
	for _, n := range Names() {
		inputs[n], _ = Builtin(n)
	}
	for name, in := range inputs {
		b, err := Marshal(in)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", name, err)
		}
		out, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: Parse(Marshal()): %v\n%s", name, err, b)
		}
		if !reflect.DeepEqual(in, out) {
			t.Errorf("%s: round trip changed the topology\nin:  %+v\nout: %+v\nyaml:\n%s", name, in, out, b)
		}
	}
}

// fullTopology must set every field of the model, so that the round trip covers them all.
func TestFullTopologyCoversEveryField(t *testing.T) {
	set := map[string]bool{}
	markSet(reflect.ValueOf(fullTopology()), set)
	markSet(reflect.ValueOf(fullL2Topology()), set)
	for _, f := range allFields(reflect.TypeFor[Topology]()) {
		if !set[f] {
			t.Errorf("fullTopology and fullL2Topology leave %s at its zero value everywhere", f)
		}
	}
	if err := fullL2Topology().Validate(); err != nil {
		t.Errorf("fullL2Topology does not validate: %v", err)
	}
	if err := fullTopology().Validate(); err != nil {
		t.Errorf("fullTopology does not validate: %v", err)
	}
}

func TestMarshalOmitsEmptyOptionalFields(t *testing.T) {
	b, err := Marshal(minimal())
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"nodeImage", "routerID", "clients", "holdTime", "communities", "services", "autoAssign", "password", `""`} {
		if strings.Contains(string(b), absent) {
			t.Errorf("Marshal(minimal()) contains %s:\n%s", absent, b)
		}
	}
	if !strings.HasPrefix(string(b), "name: minimal\ncluster:\n") {
		t.Errorf("Marshal does not keep the field order:\n%s", b)
	}
}

func TestParseStrict(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("examples", "single-hop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(valid)
	tests := []struct {
		name      string
		yaml      string
		path, msg string
	}{
		{"unknown top-level field", doc + "nmae: x\n", "nmae", "unknown field"},
		{"unknown nested field",
			strings.Replace(doc, "      - nodes: true\n", "      - nodes: true\n        bfdd: true\n", 1),
			"routers[edge].peers[0].bfdd", "valid fields: nodes, router, network, asn"},
		{"wrong case",
			strings.Replace(doc, "    asn: 64513\n", "    ASN: 64513\n", 1),
			"routers[edge].ASN", `did you mean "asn"?`},
		{"bad address",
			strings.Replace(doc, "ipv4: 172.30.0.2\n", "ipv4: 172.30.0.300\n", 1),
			"routers[edge].interfaces[0].ipv4", "172.30.0.300"},
		{"bad prefix",
			strings.Replace(doc, "ipv4: 172.31.0.0/24", "ipv4: 172.31.0.0/33", 1),
			"networks[clients].ipv4", "172.31.0.0/33"},
		{"asn too large",
			strings.Replace(doc, "asn: 64513", "asn: 4294967296", 1),
			"routers[edge].asn", "not an integer in 0..4294967295"},
		{"negative asn",
			strings.Replace(doc, "asn: 64512", "asn: -1", 1),
			"metallb.asn", "not an integer in 0..4294967295"},
		{"string for an integer",
			strings.Replace(doc, "workers: 2", "workers: two", 1),
			"cluster.workers", `expected an integer, got string "two"`},
		{"string for a bool",
			strings.Replace(doc, "ecmp: true", "ecmp: maybe", 1),
			"routers[edge].ecmp", "expected true or false"},
		{"number for a duration",
			strings.Replace(doc, "      bfdProfile: fast\n", "      bfdProfile: fast\n      connectTime: 5\n", 1),
			"metallb.peers[0].connectTime", "expected a string, got number 5"},
		{"bad duration",
			strings.Replace(doc, "      bfdProfile: fast\n", "      bfdProfile: fast\n      holdTime: 5 parsecs\n", 1),
			"metallb.peers[0].holdTime", `invalid duration "5 parsecs"`},
		{"mapping for a list",
			strings.Replace(doc, "addresses: [10.250.0.0/28]", "addresses: {cidr: 10.250.0.0/28}", 1),
			"metallb.pools[default].addresses", "expected a list, got a mapping"},
		{"list for a mapping", strings.Replace(doc, "  workers: 2\n", "  workers: 2\n  podSubnet: [1]\n", 1), "cluster.podSubnet", "expected a mapping, got a list"},
		{"mapping for the services list", doc + "services: {name: web}\n", "services", "expected a list, got a mapping"},
		{"string for an optional bool",
			strings.Replace(doc, "      addresses: [10.250.0.0/28]\n", "      addresses: [10.250.0.0/28]\n      autoAssign: maybe\n", 1),
			"metallb.pools[default].autoAssign", "expected true or false"},
		{"unknown service field",
			doc + "services:\n  - name: web\n    replica: 2\n",
			"services[web].replica", "valid fields: name, pool, ips, sharedIP"},
		{"bad requested address",
			doc + "services:\n  - name: web\n    ips: [10.250.0.300]\n",
			"services[web].ips[0]", "10.250.0.300"},
		{"duplicate list names use the index",
			strings.Replace(doc, "  - name: clients\n", "  - name: nodes\n    colour: red\n", 1),
			"networks[1].colour", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.yaml == doc {
				t.Fatal("the test's replacement did not apply")
			}
			_, err := Parse([]byte(tt.yaml))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v, want Errors", err)
			}
			if !hasPath(errs, tt.path, tt.msg) {
				t.Errorf("want %s: ...%s..., got:\n%v", tt.path, tt.msg, err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte("name: x\nnmae: y\ncluster:\n  workers: two\n  netwrok: nodes\n"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error = %v, want Errors", err)
	}
	for _, path := range []string{"nmae", "cluster.workers", "cluster.netwrok"} {
		if !hasPath(errs, path, "") {
			t.Errorf("no error for %s in:\n%v", path, err)
		}
	}
	if len(errs) != 3 {
		t.Errorf("got %d errors, want 3:\n%v", len(errs), err)
	}
}

func TestParseInvalidDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":           "",
		"duplicate key":   "name: a\nname: b\n",
		"not a mapping":   "- a\n- b\n",
		"broken yaml":     "name: [a\n",
		"scalar":          "hello",
		"tab indentation": "cluster:\n\tworkers: 2\n",
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse(%q) succeeded", name, doc)
		}
	}
	_, err := Parse([]byte("name: a\nname: b\n"))
	if err == nil || !strings.Contains(err.Error(), "already set") {
		t.Errorf("duplicate key error = %v, want one saying the key is already set", err)
	}
}

func TestParseCoercesScalarsToStrings(t *testing.T) {
	tp, err := Parse([]byte("name: 123\ncluster:\n  kubernetesVersion: v1.34.10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Name != "123" {
		t.Errorf("name = %q, want \"123\"", tp.Name)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte("nmae: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "nmae: unknown field") {
		t.Errorf("Load error = %v, want it to name %s and the field", err, p)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Errorf("Load error does not wrap Errors: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want os.ErrNotExist", err)
	}
}

// fullTopology is a valid dual-stack multi-hop lab that sets every field of the model.
func fullTopology() Topology {
	t := MultiHop()
	t.Name = "full"
	c := &t.Cluster
	c.IPFamily = DualStack
	c.NodeImage = "peerlab/node:v1.34.10"
	c.ControlPlaneAnnounces = true
	c.PodSubnet.IPv6 = netip.MustParsePrefix("fd00:10:244::/56")
	c.ServiceSubnet.IPv6 = netip.MustParsePrefix("fd00:10:96::/112")
	for i := range t.Routers {
		r := &t.Routers[i]
		for j := range r.Peers {
			p := &r.Peers[j]
			p.Password = "full-md5"
			if p.Router != "" {
				p.BFD = true
				p.MultiHop = true
				p.HoldTime = Duration(30 * time.Second)
				p.KeepaliveTime = Duration(10 * time.Second)
			}
		}
	}
	m := &t.MetalLB
	m.Pools[0].Addresses = append(m.Pools[0].Addresses, "fd00:250::1-fd00:250::9")
	m.Pools = append(m.Pools, Pool{
		Name:          "reserved",
		Addresses:     []string{"10.250.1.0/24", "fd00:251::/120"},
		AutoAssign:    new(false),
		AvoidBuggyIPs: true,
	})
	p := &m.Peers[0]
	p.IPv6 = netip.MustParseAddr("fd00:29::3")
	p.HoldTime = Duration(9 * time.Second)
	p.KeepaliveTime = Duration(3 * time.Second)
	p.Password = "full-md5"
	p.Nodes = []string{"worker", "worker2"}
	p.Receive = []ReceivePrefix{{Prefix: netip.MustParsePrefix("10.90.0.0/16"), LE: 24}, {Prefix: netip.MustParsePrefix("fd00:90::/64")}}
	for i := range t.Routers {
		if t.Routers[i].Name == p.Router {
			t.Routers[i].Originate = []netip.Prefix{netip.MustParsePrefix("10.90.1.0/24"), netip.MustParsePrefix("fd00:90::/64")}
		}
	}
	m.BFDProfiles[0].MinimumTTL = 250
	m.BFDProfiles = append(m.BFDProfiles, BFDProfile{Name: "echo", ReceiveInterval: 100, TransmitInterval: 100, DetectMultiplier: 5, EchoMode: true, EchoInterval: 20, PassiveMode: true})
	a := &m.Advertisements[0]
	a.Name = "main"
	a.Pools = []string{"default", "reserved"}
	a.Communities = []string{"64512:100", "large:64512:1:2", "no-export"}
	a.LocalPref = 200
	a.AggregationLength = 30    // the default pool is a /28, reserved a /24
	a.AggregationLengthV6 = 127 // fd00:250::1-9 splits into prefixes up to /126
	a.Nodes = []string{"worker", "worker2"}
	a.Peers = []string{"edge"}
	ips := []netip.Addr{netip.MustParseAddr("10.250.1.10"), netip.MustParseAddr("fd00:251::10")}
	t.Services = []Service{
		{Name: "web", Pool: "reserved", IPs: ips, SharedIP: "web", ExternalTrafficPolicy: ETPCluster, Replicas: 6, Nodes: []string{"worker", "worker2"}, Port: 8080},
		{Name: "web-tls", IPs: slices.Clone(ips), SharedIP: "web", ExternalTrafficPolicy: ETPCluster, Replicas: 2, Port: 8443},
		{Name: "local", ExternalTrafficPolicy: ETPLocal, Replicas: 3, Port: 80},
	}
	return t
}

// fullL2Topology sets the L2 fields, which fullTopology (dual stack) cannot: L2 mode is
// checked in IPv4 labs only.
func fullL2Topology() Topology {
	t := SingleHop()
	t.Name = "full-l2"
	t.Cluster.IPFamily = IPv4
	m := &t.MetalLB
	m.Pools = append(m.Pools, Pool{Name: "l2", Addresses: []string{"172.30.0.100-172.30.0.109", "172.30.0.112/29"}})
	m.L2Advertisements = []L2Advertisement{{Name: "l2", Pools: []string{"l2"}, Nodes: []string{"worker"}, Interfaces: []string{NodeInterface}}}
	m.Advertisements = []BGPAdvertisement{{Name: "bgp", Pools: []string{"default"}}}
	t.Services = append(t.Services, Service{Name: "web", Pool: "l2"})
	return t.WithDefaults()
}

// markSet records "Type.Field" for every field that is non-zero somewhere in v.
func markSet(v reflect.Value, set map[string]bool) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if !v.Field(i).IsZero() {
				set[v.Type().Name()+"."+f.Name] = true
			}
			markSet(v.Field(i), set)
		}
	case reflect.Slice:
		for i := range v.Len() {
			markSet(v.Index(i), set)
		}
	}
}

// allFields lists "Type.Field" for every field of the model's own struct types.
func allFields(t reflect.Type) []string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Topology]().PkgPath() || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			out = append(out, t.Name()+"."+t.Field(i).Name)
			walk(t.Field(i).Type)
		}
	}
	walk(t)
	return out
}

// The new optional fields survive Marshal and Parse, with an explicit autoAssign false kept
// apart from an absent one.
func TestRoundTripNewFields(t *testing.T) {
	in := fullTopology()
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"autoAssign: false", "avoidBuggyIPs: true", "password: full-md5", "sharedIP: web",
		"externalTrafficPolicy: Local", "aggregationLengthV6: 127", "minimumTtl: 250", "echoInterval: 20", "name: main",
		"- no-export", "holdTime: 30s", "keepaliveTime: 10s", "- fd00:251::10"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Marshal(fullTopology()) lacks %q:\n%s", want, b)
		}
	}
	out, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the topology:\n%s", b)
	}
	if p := out.MetalLB.Pools[1].AutoAssign; p == nil || *p {
		t.Errorf("autoAssign after the round trip = %v, want an explicit false", p)
	}
	if p := out.MetalLB.Pools[0].AutoAssign; p != nil {
		t.Errorf("autoAssign of a pool without it = %v, want nil", *p)
	}
}
