package routers

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Captured from MetalLB speakers (FRR 10.7) in a reference lab; see
// testdata/README.md.
func TestParseAdvertisedRoutes(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "frr-10.7", name))
		require.NoError(t, err)
		return b
	}
	got, err := parseAdvertisedRoutes(read("bgp-advertised-routes-ipv4.json"))
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.250.0.0/32")}, got)

	got, err = parseAdvertisedRoutes(read("bgp-advertised-routes-absent.json"))
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = parseAdvertisedRoutes(read("bgp-advertised-routes-absent-family.json"))
	require.ErrorContains(t, err, "No such neighbor or address family")
}

// Several neighbors in one vtysh run come back as one JSON document each,
// in order; an unknown neighbor is an error of its own.
func TestAdvertisedRoutesTo(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "frr-10.7", "vtysh-advertised-routes-several.txt"))
	require.NoError(t, err)
	n1, n2, n3 := netip.MustParseAddr("172.30.0.2"), netip.MustParseAddr("172.29.0.3"), netip.MustParseAddr("fd00:30::99")
	q := NewQuerier(cannedExecutor{out: b})
	routes, errs, err := q.AdvertisedRoutesTo(t.Context(), n1, n2, n3)
	require.NoError(t, err)
	want := []netip.Prefix{netip.MustParsePrefix("10.250.0.0/32")}
	require.Equal(t, want, routes[n1])
	require.Equal(t, want, routes[n2])
	require.NoError(t, errs[n1])
	require.ErrorContains(t, errs[n3], "No such neighbor")

	_, err = splitJSON(b, 2)
	require.ErrorContains(t, err, "3 JSON documents, want 2")
}

// cannedExecutor answers every command with the same output.
type cannedExecutor struct{ out []byte }

func (c cannedExecutor) Exec(context.Context, []string) ([]byte, []byte, error) {
	return c.out, nil, nil
}
