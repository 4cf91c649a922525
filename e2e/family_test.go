package e2e

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// familyEnv selects the IP family the lab tests run in; the matrix's ipv6
// and dual lanes set it, and it defaults to ipv4.
const familyEnv = "PEERLAB_FAMILY"

// labFamily is the family under test.
func labFamily(t *testing.T) topologies.IPFamily {
	t.Helper()
	f := topologies.IPFamily(os.Getenv(familyEnv))
	if f == "" {
		return topologies.IPv4
	}
	switch f {
	case topologies.IPv4, topologies.IPv6, topologies.DualStack:
		return f
	}
	t.Fatalf("%s=%q: want ipv4, ipv6 or dual", familyEnv, f)
	return ""
}

// backendEnv selects the MetalLB backend the lab tests run with; the
// matrix's native and frr-k8s lanes set it, and it defaults to frr.
const backendEnv = "PEERLAB_BACKEND"

// labBackend is the backend under test.
func labBackend(t *testing.T) topologies.Backend {
	t.Helper()
	s := os.Getenv(backendEnv)
	if s == "" {
		return topologies.BackendFRR
	}
	b, err := topologies.ParseBackend(s)
	if err != nil {
		t.Fatalf("%s: %v", backendEnv, err)
	}
	return b
}

// inFamily returns topo run with the backend and in the family under test
// (topologies.ForBackend, then ForFamily).
func inFamily(t *testing.T, topo topologies.Topology) topologies.Topology {
	t.Helper()
	out, err := topo.ForBackend(labBackend(t))
	require.NoError(t, err, "topology %s with backend %s", topo.Name, labBackend(t))
	out, err = out.ForFamily(labFamily(t))
	require.NoError(t, err, "topology %s in %s", topo.Name, labFamily(t))
	return out
}

// routerFamilies are the router-side families of the family under test.
func routerFamilies(t *testing.T) []routers.IPFamily {
	var out []routers.IPFamily
	for _, f := range labFamily(t).Families() {
		if f == topologies.IPv6 {
			out = append(out, routers.IPv6)
		} else {
			out = append(out, routers.IPv4)
		}
	}
	return out
}
