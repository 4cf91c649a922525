package topologies

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestWithDefaultsIdempotent(t *testing.T) {
	inputs := map[string]Topology{
		"empty":   {},
		"minimal": minimal(),
		"dual":    dual(),
	}
	for _, n := range Names() {
		inputs[n], _ = Builtin(n)
	}
	for name, in := range inputs {
		once := in.WithDefaults()
		twice := once.WithDefaults()
		if !reflect.DeepEqual(once, twice) {
			t.Errorf("%s: WithDefaults is not idempotent\nonce:  %+v\ntwice: %+v", name, once, twice)
		}
	}
}

func TestWithDefaultsDoesNotModifyInput(t *testing.T) {
	in := minimal()
	before := in.Clone()
	_ = in.WithDefaults()
	if !reflect.DeepEqual(in, before) {
		t.Errorf("WithDefaults changed its input:\nbefore: %+v\nafter:  %+v", before, in)
	}
}

func TestWithDefaultsValues(t *testing.T) {
	d := minimal().WithDefaults()
	c := d.Cluster
	if c.ControlPlanes != 1 || c.KubernetesVersion != "v1.34.10" || c.IPFamily != IPv4 {
		t.Errorf("cluster defaults = %+v", c)
	}
	if c.PodSubnet.IPv4.String() != "10.244.0.0/16" || c.ServiceSubnet.IPv4.String() != "10.96.0.0/16" {
		t.Errorf("subnets = %v %v", c.PodSubnet, c.ServiceSubnet)
	}
	if c.PodSubnet.IPv6.IsValid() || c.ServiceSubnet.IPv6.IsValid() {
		t.Errorf("ipv4 cluster got IPv6 subnets: %v %v", c.PodSubnet, c.ServiceSubnet)
	}
	r := d.Routers[0]
	if r.Role != RoleEdge || r.RouterID.String() != "172.30.0.2" || r.MaxPaths != 8 || r.Peers[0].ASN != 64512 {
		t.Errorf("router defaults = %+v", r)
	}
	p := d.MetalLB.Peers[0]
	if p.Network != "nodes" || p.IPv4.String() != "172.30.0.2" || p.IPv6.IsValid() || p.ASN != 64513 || p.ConnectTime.Std() != 5*time.Second {
		t.Errorf("MetalLB peer defaults = %+v", p)
	}
	if b := d.MetalLB.BFDProfiles[0]; b.ReceiveInterval != 300 || b.TransmitInterval != 300 || b.DetectMultiplier != 3 {
		t.Errorf("BFD profile defaults = %+v", b)
	}
	// The default advertisement names no pool: MetalLB then announces every pool.
	if a := d.MetalLB.Advertisements; len(a) != 1 || len(a[0].Pools) != 0 {
		t.Errorf("advertisements = %+v", a)
	}
	if s := d.Services; len(s) != 1 || s[0].Name != DefaultServiceName || s[0].Replicas != 2 || s[0].ExternalTrafficPolicy != ETPCluster || s[0].Port != 80 {
		t.Errorf("service defaults = %+v", s)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("minimal topology with defaults: %v", err)
	}
}

func TestWithDefaultsDual(t *testing.T) {
	d := dual().WithDefaults()
	c := d.Cluster
	if c.PodSubnet.IPv6.String() != "fd00:10:244::/56" || c.ServiceSubnet.IPv6.String() != "fd00:10:96::/112" || !c.PodSubnet.IPv4.IsValid() {
		t.Errorf("dual subnets = %v %v", c.PodSubnet, c.ServiceSubnet)
	}
	if p := d.MetalLB.Peers[0]; p.IPv4.String() != "172.30.0.2" || p.IPv6.String() != "fd00:30::2" {
		t.Errorf("dual MetalLB peer addresses = %v %v", p.IPv4, p.IPv6)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("dual-stack single-hop: %v", err)
	}
}

func TestWithDefaultsControlPlaneAnnounces(t *testing.T) {
	in := minimal()
	in.Cluster.Workers = 0
	in.Cluster.ControlPlaneAnnounces = true
	d := in.WithDefaults()
	if d.Services[0].Replicas != 1 || d.Cluster.AnnouncingNodes() != 1 {
		t.Errorf("replicas = %d, announcing = %d; want 1 and 1", d.Services[0].Replicas, d.Cluster.AnnouncingNodes())
	}
}

func TestWithDefaultsLeavesExplicitValues(t *testing.T) {
	in := minimal()
	in.Routers[0].RouterID = netip.MustParseAddr("192.0.2.1")
	in.Routers[0].MaxPaths = 4
	in.MetalLB.Peers[0].ConnectTime = Duration(10 * time.Second)
	in.Services = []Service{{Name: "web", Replicas: 5, ExternalTrafficPolicy: ETPLocal, Port: 8080}}
	d := in.WithDefaults()
	if d.Routers[0].RouterID.String() != "192.0.2.1" || d.Routers[0].MaxPaths != 4 ||
		d.MetalLB.Peers[0].ConnectTime.Std() != 10*time.Second || !reflect.DeepEqual(d.Services, in.Services) {
		t.Errorf("WithDefaults overwrote explicit values: %+v %+v %+v", d.Routers[0], d.MetalLB.Peers[0], d.Services)
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := fullTopology()
	b := a.Clone()
	b.Cluster.Routes[0].Via = netip.MustParseAddr("172.30.0.3")
	b.Networks[0].Name = "x"
	b.Routers[0].Interfaces[0].Network = "x"
	b.Routers[0].Peers[0].BFD = false
	b.Routers[0].Routes[0].Via = netip.MustParseAddr("172.30.0.3")
	b.Clients[0].Name = "x"
	b.MetalLB.Pools[0].Addresses[0] = "x"
	b.MetalLB.Peers[0].Router = "x"
	b.MetalLB.BFDProfiles[0].Name = "x"
	b.MetalLB.Advertisements[0].Pools[0] = "x"
	b.MetalLB.Advertisements[0].Communities[0] = "x"
	b.MetalLB.Advertisements[0].Nodes[0] = "x"
	b.MetalLB.Advertisements[0].Peers[0] = "x"
	b.MetalLB.Peers[0].Nodes[0] = "x"
	*b.MetalLB.Pools[1].AutoAssign = true
	b.Services[0].Name = "x"
	b.Services[0].IPs[0] = netip.MustParseAddr("10.250.1.11")
	b.Services[0].Nodes[0] = "x"
	if !reflect.DeepEqual(a, fullTopology()) {
		t.Error("changing a clone changed the original")
	}
}

// minimal is a small single-hop topology that relies on every default.
func minimal() Topology {
	return Topology{
		Name:     "minimal",
		Cluster:  Cluster{Workers: 2, Network: "nodes"},
		Networks: []Network{{Name: "nodes", IPv4: netip.MustParsePrefix("172.30.0.0/24")}},
		Routers: []Router{{
			Name:       "edge",
			ASN:        64513,
			Interfaces: []Attachment{{Network: "nodes", IPv4: netip.MustParseAddr("172.30.0.2")}},
			Peers:      []Peer{{Nodes: true, BFD: true}},
			ECMP:       true,
		}},
		MetalLB: MetalLB{
			ASN:         64512,
			Pools:       []Pool{{Name: "default", Addresses: []string{"10.250.0.0/28"}}},
			Peers:       []MetalLBPeer{{Router: "edge", BFDProfile: "fast"}},
			BFDProfiles: []BFDProfile{{Name: "fast"}},
		},
	}
}

// dual is the single-hop builtin made dual-stack: the networks, routers and client already
// have IPv6; only the family, the pool and the MetalLB peer addresses change.
func dual() Topology {
	t := SingleHop()
	t.Cluster.IPFamily = DualStack
	t.Cluster.PodSubnet.IPv6 = netip.Prefix{}
	t.MetalLB.Pools[0].Addresses = append(t.MetalLB.Pools[0].Addresses, "fd00:250::/124")
	t.MetalLB.Peers[0].IPv6 = netip.Addr{}
	return t
}

func TestWithDefaultsServicesAndAdvertisements(t *testing.T) {
	in := minimal()
	in.MetalLB.Pools = append(in.MetalLB.Pools, Pool{Name: "more", Addresses: []string{"10.250.1.0/28"}})
	in.MetalLB.Advertisements = []BGPAdvertisement{{Pools: []string{"default"}}, {Name: "named", Pools: []string{"more"}}, {Pools: []string{"more"}, LocalPref: 0}}
	in.Services = []Service{
		{Name: "pinned", Nodes: []string{"worker"}},
		{Name: "everywhere"},
		{Name: "explicit", Replicas: 5, ExternalTrafficPolicy: ETPLocal, Port: 8080},
	}
	d := in.WithDefaults()
	var names []string
	for _, a := range d.MetalLB.Advertisements {
		names = append(names, a.Name)
	}
	if want := []string{"advertisement-0", "named", "advertisement-2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("advertisement names = %v, want %v", names, want)
	}
	want := []Service{
		{Name: "pinned", Nodes: []string{"worker"}, Replicas: 1, ExternalTrafficPolicy: ETPCluster, Port: 80},
		{Name: "everywhere", Replicas: 2, ExternalTrafficPolicy: ETPCluster, Port: 80},
		{Name: "explicit", Replicas: 5, ExternalTrafficPolicy: ETPLocal, Port: 8080},
	}
	if !reflect.DeepEqual(d.Services, want) {
		t.Errorf("services = %+v\nwant       %+v", d.Services, want)
	}
	if d.MetalLB.Pools[0].AutoAssign != nil || !d.MetalLB.Pools[0].AutoAssigns() {
		t.Errorf("autoAssign: WithDefaults must leave it nil (meaning true): %+v", d.MetalLB.Pools[0])
	}

	// No services: one "backend" on every announcing node; no advertisements: one for every
	// pool, named after its index.
	d = minimal().WithDefaults()
	if len(d.Services) != 1 || d.Services[0].Name != DefaultServiceName {
		t.Errorf("default services = %+v", d.Services)
	}
	if a := d.MetalLB.Advertisements; len(a) != 1 || a[0].Name != "advertisement-0" {
		t.Errorf("default advertisements = %+v", a)
	}
}
