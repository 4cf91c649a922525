package routers

import (
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
