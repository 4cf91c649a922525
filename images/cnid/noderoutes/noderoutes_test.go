package noderoutes

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	f := File{
		Networks: []netip.Prefix{netip.MustParsePrefix("172.30.0.0/24")},
		Routes: []Route{
			{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("172.30.0.1")},
			{Dst: netip.MustParsePrefix("10.96.0.0/16")},
		},
	}
	b, err := f.Marshal()
	require.NoError(t, err)
	got, err := Parse(b)
	require.NoError(t, err)
	require.Equal(t, f, got)
	require.Equal(t, "10.96.0.0/16 on-link", got.Routes[1].String())
}

func TestRefused(t *testing.T) {
	_, err := Parse([]byte(`{"networks":["172.30.0.0/24"],"routes":[{"dst":"fd00:31::/64","via":"172.30.0.2"}]}`))
	require.ErrorContains(t, err, "routes[0]: fd00:31::/64 via 172.30.0.2: the gateway is of the other family")
	_, err = Parse([]byte(`{"routes":[]}`))
	require.ErrorContains(t, err, "no networks")
	_, err = Parse([]byte(`{"networks":["x"]}`))
	require.Error(t, err)
}
