package scenarios

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// poolsScenario: a CIDR pool and a range pool side by side, a service on
// each.
func poolsScenario() Scenario {
	return one("pools", "a CIDR pool and a range pool, a service from each", nil, Step{Change: func(t *topologies.Topology) {
		r := extraPool(*t, 1, 24)
		from := r.Addr().As4()
		from[3] = 10
		to := from
		to[3] = 20
		t.MetalLB.Pools = append(t.MetalLB.Pools, topologies.Pool{Name: "range", Addresses: []string{netip.AddrFrom4(from).String() + "-" + netip.AddrFrom4(to).String()}})
		addService(t, topologies.Service{Name: "from-range", Pool: "range"})
	}})
}

// poolNoAutoAssignScenario: a pool with autoAssign false serves only the
// service that asks for it.
func poolNoAutoAssignScenario() Scenario {
	return one("pool-no-autoassign", "an autoAssign false pool is used only by the service that asks for it", nil, Step{Change: func(t *topologies.Topology) {
		no := false
		// Listed first, so an allocator ignoring autoAssign would use it.
		t.MetalLB.Pools = append([]topologies.Pool{{Name: "reserved", Addresses: []string{extraPool(*t, 2, 28).String()}, AutoAssign: &no}}, t.MetalLB.Pools...)
		addService(t, topologies.Service{Name: "any-pool"})
		addService(t, topologies.Service{Name: "asks-reserved", Pool: "reserved"})
	}})
}

// requestedIPScenario: a requested address is honoured.
func requestedIPScenario() Scenario {
	return one("requested-ip", "a service that requests an address gets it", nil, Step{Change: func(t *topologies.Topology) {
		b := poolBase(*t).As4()
		b[3] += 7
		addService(t, topologies.Service{Name: "requested", IPs: []netip.Addr{netip.AddrFrom4(b)}})
	}})
}

// avoidBuggyIPsScenario: a pool spanning .254 to .1 of the next /24 has
// only two usable addresses with avoidBuggyIPs; MetalLB's first-free
// allocation would otherwise hand out .255 and .0.
func avoidBuggyIPsScenario() Scenario {
	return one("avoid-buggy-ips", "avoidBuggyIPs never hands out .0 or .255", []Requirement{needsIPv4}, Step{Change: func(t *topologies.Topology) {
		lo := extraPool(*t, 3, 24).Addr().As4()
		lo[3] = 254
		hi := extraPool(*t, 4, 24).Addr().As4()
		hi[3] = 1
		t.MetalLB.Pools = append(t.MetalLB.Pools, topologies.Pool{Name: "buggy", Addresses: []string{netip.AddrFrom4(lo).String() + "-" + netip.AddrFrom4(hi).String()}, AvoidBuggyIPs: true})
		addService(t, topologies.Service{Name: "buggy-a", Pool: "buggy"})
		addService(t, topologies.Service{Name: "buggy-b", Pool: "buggy"})
	}})
}

// poolExhaustedScenario: a one-address pool serves one service; the second
// service that asks for it stays pending and the report says why.
func poolExhaustedScenario() Scenario {
	tiny := func(t *topologies.Topology) {
		t.MetalLB.Pools = append(t.MetalLB.Pools, topologies.Pool{Name: "tiny", Addresses: []string{netip.PrefixFrom(extraPool(*t, 5, 24).Addr(), 32).String()}})
		addService(t, topologies.Service{Name: "first", Pool: "tiny"})
	}
	return Scenario{
		Name:    "pool-exhausted",
		Summary: "an exhausted pool leaves the next service pending, and MetalLB says why",
		Steps: []Step{
			{Name: "one address, one service", Change: tiny},
			{Name: "a second service asks", Change: func(t *topologies.Topology) {
				addService(t, topologies.Service{Name: "second", Pool: "tiny"})
			}, Expect: []ExpectOption{Pending("second")}, Checks: []Check{ServicePendingBecause("second", "no available IPs")}},
		},
	}
}

// ServicePendingBecause: the service has no address and its events carry
// the reason.
func ServicePendingBecause(service, reason string) Check {
	return func(ctx context.Context, lab *harness.Lab) error {
		ips, err := lab.ServiceIPs(ctx, service)
		if err != nil {
			return err
		}
		if len(ips) > 0 {
			return fmt.Errorf("service %s: got %v, want pending", service, ips)
		}
		evs, err := lab.ServiceEvents(ctx, service)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if strings.Contains(e, reason) {
				return nil
			}
		}
		return fmt.Errorf("service %s is pending, but no event says %q (events: %v)", service, reason, evs)
	}
}

// changePoolScenario: moving a service to another pool gives it an address
// there and withdraws the old route from every router.
func changePoolScenario() Scenario {
	return Scenario{
		Name:    "change-pool",
		Summary: "a service moved to another pool gets a new address; the old route is withdrawn everywhere",
		Steps: []Step{
			{Name: "second pool", Change: func(t *topologies.Topology) {
				t.MetalLB.Pools = append(t.MetalLB.Pools, topologies.Pool{Name: "other", Addresses: []string{extraPool(*t, 6, 28).String()}})
				addService(t, topologies.Service{Name: "mover", Pool: t.MetalLB.Pools[0].Name})
			}},
			{Name: "move to the other pool", Change: func(t *topologies.Topology) {
				for i := range t.Services {
					if t.Services[i].Name == "mover" {
						t.Services[i].Pool = "other"
					}
				}
			}},
		},
	}
}
