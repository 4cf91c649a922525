package topologies

import (
	"strconv"
	"strings"
)

// ---------------------------------------------------------------------------------------
// metallb.backend: what the chosen backend cannot do is refused here, before anything
// starts, rather than by MetalLB's webhook or speaker half-way through a lab-up (the native
// speaker logs its refusals and never opens a session).

func (v *validator) backend() {
	m := v.t.MetalLB
	b := m.Backend
	if b == "" {
		v.add("metallb.backend", "not set (WithDefaults sets %s)", BackendFRR)
		return
	}
	if _, err := ParseBackend(string(b)); err != nil {
		v.add("metallb.backend", "%v", err)
		return
	}
	why := func(what string) string {
		return "the " + string(b) + " backend " + what + "; use backend frr or frr-k8s"
	}
	if !b.IPv6() && v.fam.HasIPv6() {
		v.add("metallb.backend", "%s", why("announces IPv4 only, but cluster.ipFamily is "+string(v.fam)))
	}
	if !b.BFD() {
		if len(m.BFDProfiles) > 0 {
			v.add("metallb.bfdProfiles", "%s, or drop the profiles (ForBackend and --backend do)", why("has no BFD"))
		}
		for i, p := range m.Peers {
			if p.BFDProfile != "" {
				v.add(join(v.mlbPeerPath[i], "bfdProfile"), "%q: %s", p.BFDProfile, why("has no BFD"))
			}
		}
	}
	for i, p := range m.Peers {
		pp := v.mlbPeerPath[i]
		if !b.ConnectTime() && p.ConnectTime != 0 {
			v.add(join(pp, "connectTime"), "%s: %s, or leave it unset", p.ConnectTime, why("refuses a connect time"))
		}
		if !b.KeepaliveTime() && p.KeepaliveTime != 0 {
			v.add(join(pp, "keepaliveTime"), "%s: %s, or leave it unset", p.KeepaliveTime, why("refuses a keepalive time"))
		}
	}
	if !b.LargeCommunities() {
		for i, a := range m.Advertisements {
			for j, c := range a.Communities {
				if strings.HasPrefix(CommunityValue(c), "large:") {
					v.add(index(join(v.advPath[i], "communities"), strconv.Itoa(j)), "%q: %s", c, why("sends only standard communities"))
				}
			}
		}
	}
}
