package topologies

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Every builtin is valid with every backend it can run on (native: IPv4 only), and the
// conversion is idempotent.
func TestForBackendBuiltins(t *testing.T) {
	for _, n := range Names() {
		for _, b := range Backends() {
			base, _ := Builtin(n)
			got, err := base.ForBackend(b)
			if err != nil {
				t.Fatalf("%s ForBackend(%s): %v", n, b, err)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("%s with %s is invalid: %v", n, b, err)
			}
			if got.MetalLB.Backend != b {
				t.Errorf("%s ForBackend(%s): backend %s", n, b, got.MetalLB.Backend)
			}
			again, err := got.ForBackend(b)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("%s ForBackend(%s) twice differs from once (err %v)", n, b, err)
			}
			if !b.BFD() {
				if len(got.MetalLB.BFDProfiles) > 0 {
					t.Errorf("%s with %s keeps BFD profiles", n, b)
				}
				for _, r := range got.Routers {
					if np, ok := r.NodesPeer(); ok && np.BFD {
						t.Errorf("%s with %s: router %s still runs BFD towards the nodes", n, b, r.Name)
					}
				}
			}
			for _, f := range []IPFamily{IPv6, DualStack} {
				ft, err := got.ForFamily(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := ft.Validate(); (err == nil) != b.IPv6() {
					t.Errorf("%s with %s in %s: Validate() = %v", n, b, f, err)
				}
			}
		}
	}
	if _, err := SingleHop().ForBackend("quagga"); err == nil || !strings.Contains(err.Error(), "unknown MetalLB backend") {
		t.Errorf("ForBackend(quagga) = %v, want an unknown-backend error", err)
	}
}

// A topology written for FRR and set to native by hand (not through ForBackend) is refused
// field by field, naming what the native speaker cannot do and what to use instead.
func TestValidateNativeRefusals(t *testing.T) {
	topo := SingleHop()
	topo.MetalLB.Backend = BackendNative
	topo.MetalLB.Peers[0].KeepaliveTime = Duration(3e9)
	topo.MetalLB.Peers[0].HoldTime = Duration(9e9)
	topo.MetalLB.Peers[0].ConnectTime = Duration(5e9)
	topo.MetalLB.Advertisements = []BGPAdvertisement{{Communities: []string{"large:64512:1:2", "64512:100"}}}
	err := topo.WithDefaults().Validate()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Validate() = %v, want Errors", err)
	}
	want := map[string]string{
		"metallb.bfdProfiles":                                    "the native backend has no BFD",
		"metallb.peers[0].bfdProfile":                            `"fast": the native backend has no BFD`,
		"metallb.peers[0].connectTime":                           "refuses a connect time",
		"metallb.peers[0].keepaliveTime":                         "refuses a keepalive time",
		"metallb.advertisements[advertisement-0].communities[0]": "sends only standard communities",
	}
	got := map[string]string{}
	for _, e := range es {
		got[e.Path] = e.Msg
	}
	for path, frag := range want {
		if !strings.Contains(got[path], frag) {
			t.Errorf("%s: got %q, want it to say %q (all: %v)", path, got[path], frag, err)
		}
	}
	if _, ok := got["metallb.advertisements[advertisement-0].communities[1]"]; ok {
		t.Errorf("a standard community was refused: %v", err)
	}
}

// Bad receive input is refused before anything starts, naming the field.
func TestValidateReceive(t *testing.T) {
	topo, err := Load("examples/receive-routes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo = topo.WithDefaults()
	if err := topo.Validate(); err != nil {
		t.Fatalf("the example: %v", err)
	}
	bad := topo.Clone()
	bad.Routers[0].Originate = append(bad.Routers[0].Originate,
		netip.MustParsePrefix("10.250.0.0/24"), // a pool's space
		netip.MustParsePrefix("172.30.0.0/16"), // covers the nodes' network
		netip.MustParsePrefix("10.98.0.1/24"))  // host bits
	bad.MetalLB.Peers[0].Receive = append(bad.MetalLB.Peers[0].Receive, ReceivePrefix{Prefix: netip.MustParsePrefix("10.99.0.0/16"), LE: 40})
	err = bad.Validate()
	for _, want := range []string{
		"routers[edge].originate[4]: 10.250.0.0/24 overlaps metallb.pools[default]",
		"routers[edge].originate[5]: 172.30.0.0/16 overlaps cluster.network (nodes)",
		"routers[edge].originate[6]: 10.98.0.1/24 has host bits set (did you mean 10.98.0.0/24?)",
		"metallb.peers[0].receive[2].le: 40: must be 16..32",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	native, err := topo.ForBackend(BackendNative)
	if err != nil {
		t.Fatal(err)
	}
	if err := native.Validate(); err == nil || !strings.Contains(err.Error(), "metallb.peers[0].receive: the native backend cannot install routes on the nodes") {
		t.Errorf("native with receive: Validate() = %v", err)
	}
}
