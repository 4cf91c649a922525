package scenarios

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/peerlab/peerlab/topologies"
)

// SeedEnv replays a random scenario: PEERLAB_SEED=N.
const SeedEnv = "PEERLAB_SEED"

// randomScenario applies a random valid combination of pools, services and
// advertisements and checks it against the oracle. seed 0 takes $PEERLAB_SEED
// or the clock; the seed is in the step's name, so a failure can be
// replayed.
func randomScenario(seed uint64) Scenario {
	if seed == 0 {
		if s, err := strconv.ParseUint(os.Getenv(SeedEnv), 10, 64); err == nil {
			seed = s
		} else {
			seed = uint64(time.Now().UnixNano()) % 1000000
		}
	}
	return one("random", "a seeded random combination of pools, services and advertisements, checked by the oracle", nil, Step{
		Name:   fmt.Sprintf("seed %d (replay: %s=%d)", seed, SeedEnv, seed),
		Change: func(t *topologies.Topology) { randomize(t, seed) },
	})
}

// randomize draws the combination; it tries a few draws until one
// validates (the draw stays within rules that validation knows).
func randomize(t *topologies.Topology, seed uint64) {
	base := t.Clone()
	for attempt := uint64(0); attempt < 20; attempt++ {
		c := base.Clone()
		draw(&c, rand.New(rand.NewPCG(seed, attempt)))
		// The draw is written in IPv4; validate it as the suite will apply
		// it, in the lab's family.
		fc, err := c.ForFamily(c.Cluster.IPFamily)
		if err != nil {
			continue
		}
		if _, err := fc.Prepare(); err == nil {
			*t = c
			return
		}
	}
}

func draw(t *topologies.Topology, r *rand.Rand) {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	nodes := t.Cluster.AnnouncingNodeNames()
	routers := peerRouters(*t)
	pools := []string{t.MetalLB.Pools[0].Name}
	for i := range r.IntN(3) {
		p := extraPool(*t, 10+i, 24).Addr().As4()
		name := fmt.Sprintf("rnd%d", i)
		var addr string
		if r.IntN(2) == 0 {
			addr = netip.PrefixFrom(netip.AddrFrom4(p), 28).String()
		} else {
			from, to := p, p
			from[3], to[3] = 100, byte(100+2+r.IntN(8))
			addr = netip.AddrFrom4(from).String() + "-" + netip.AddrFrom4(to).String()
		}
		auto := r.IntN(3) > 0
		t.MetalLB.Pools = append(t.MetalLB.Pools, topologies.Pool{Name: name, Addresses: []string{addr}, AutoAssign: &auto, AvoidBuggyIPs: r.IntN(2) == 0})
		pools = append(pools, name)
	}
	t.Services = nil
	for i := range 1 + r.IntN(3) {
		s := topologies.Service{Name: fmt.Sprintf("svc%d", i), Port: 80 + i}
		if r.IntN(2) == 0 {
			s.Pool = pick(pools)
		}
		if r.IntN(3) == 0 {
			s.ExternalTrafficPolicy = topologies.ETPLocal
			if len(nodes) > 1 && r.IntN(2) == 0 {
				s.Nodes = []string{pick(nodes)}
			}
		}
		t.Services = append(t.Services, s)
	}
	communities := []string{"64512:100", "64512:200", "no-export"}
	if t.MetalLB.Backend.LargeCommunities() {
		communities = append(communities, "large:64512:7:8")
	}
	first := topologies.BGPAdvertisement{Name: "rnd-all"}
	if r.IntN(2) == 0 {
		first.Communities = []string{pick(communities)}
	}
	if r.IntN(2) == 0 {
		first.LocalPref = uint32(100 + 50*r.IntN(4))
	}
	t.MetalLB.Advertisements = []topologies.BGPAdvertisement{first}
	if r.IntN(2) == 0 {
		second := topologies.BGPAdvertisement{Name: "rnd-some", Pools: []string{pick(pools)}, Communities: []string{pick(communities)}}
		if len(nodes) > 1 && r.IntN(2) == 0 {
			second.Nodes = []string{pick(nodes)}
		}
		if len(routers) > 1 && r.IntN(2) == 0 {
			second.Peers = []string{pick(routers)}
		}
		t.MetalLB.Advertisements = append(t.MetalLB.Advertisements, second)
	}
}
