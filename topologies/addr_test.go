package topologies

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestDynamicRange(t *testing.T) {
	tests := []struct {
		subnet, want, err string
	}{
		{subnet: "172.30.0.0/24", want: "172.30.0.128/25"},
		{subnet: "172.30.0.0/16", want: "172.30.128.0/17"},
		{subnet: "10.0.0.0/29", want: "10.0.0.4/30"},
		{subnet: "172.30.0.7/24", want: "172.30.0.128/25"}, // host bits are ignored
		{subnet: "fd00:30::/64", want: "fd00:30:0:0:8000::/112"},
		{subnet: "fd00::/125", want: "fd00::4/126"},
		{subnet: "10.0.0.0/30", err: "smaller than /29"},
		{subnet: "fd00::/126", err: "smaller than /125"},
	}
	for _, tt := range tests {
		got, err := DynamicRange(netip.MustParsePrefix(tt.subnet))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("DynamicRange(%s) error = %v, want one containing %q", tt.subnet, err, tt.err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("DynamicRange(%s) = %v, %v; want %s", tt.subnet, got, err, tt.want)
		}
	}
	if _, err := DynamicRange(netip.Prefix{}); err == nil {
		t.Error("DynamicRange of the zero prefix: no error")
	}
}

func TestGateway(t *testing.T) {
	for subnet, want := range map[string]string{
		"172.30.0.0/24": "172.30.0.254",
		"172.30.0.9/24": "172.30.0.254",
		"fd00:30::/64":  "fd00:30::8000:0:0:fffe",
	} {
		if got := Gateway(netip.MustParsePrefix(subnet)); got.String() != want {
			t.Errorf("Gateway(%s) = %s, want %s", subnet, got, want)
		}
	}
}

func TestDynamicCapacity(t *testing.T) {
	for subnet, want := range map[string]string{
		"172.30.0.0/24": "126", // .128-.253; .254 is the gateway, .255 the broadcast address
		"10.0.0.0/29":   "2",
		"fd00::/125":    "3", // no broadcast in IPv6
	} {
		got, err := dynamicCapacity(netip.MustParsePrefix(subnet))
		if err != nil || got.String() != want {
			t.Errorf("dynamicCapacity(%s) = %v, %v; want %s", subnet, got, err, want)
		}
	}
}

func TestParsePoolAddress(t *testing.T) {
	tests := []struct {
		in, from, to, err string
	}{
		{in: "10.250.0.0/28", from: "10.250.0.0", to: "10.250.0.15"},
		{in: "10.250.0.1-10.250.0.9", from: "10.250.0.1", to: "10.250.0.9"},
		{in: " 10.250.0.1 - 10.250.0.1 ", from: "10.250.0.1", to: "10.250.0.1"},
		{in: "fd00:250::/124", from: "fd00:250::", to: "fd00:250::f"},
		{in: "fd00:250::1-fd00:250::5", from: "fd00:250::1", to: "fd00:250::5"},
		{in: "10.250.0.5/28", err: "did you mean 10.250.0.0/28"},
		{in: "10.250.0.9-10.250.0.1", err: "ends before it starts"},
		{in: "10.250.0.1-fd00::1", err: "mixes IPv4 and IPv6"},
		{in: "10.250.0.x-10.250.0.9", err: "invalid range start"},
		{in: "10.250.0.1-10.250.0.y", err: "invalid range end"},
		{in: "10.250.0.0", err: "neither a CIDR nor a range"},
		{in: "", err: "neither a CIDR nor a range"},
	}
	for _, tt := range tests {
		got, err := ParsePoolAddress(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePoolAddress(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.From.String() != tt.from || got.To.String() != tt.to {
			t.Errorf("ParsePoolAddress(%q) = %v, %v; want %s-%s", tt.in, got, err, tt.from, tt.to)
		}
	}
}

func TestAddrRangeOverlaps(t *testing.T) {
	r := func(s string) AddrRange {
		x, err := ParsePoolAddress(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{"10.0.0.0/24", "10.0.0.128/25", true},
		{"10.0.0.0/25", "10.0.0.128/25", false},
		{"10.0.0.1-10.0.0.5", "10.0.0.5-10.0.0.9", true},
		{"10.0.0.1-10.0.0.4", "10.0.0.5-10.0.0.9", false},
		{"10.0.0.0/8", "fd00::/8", false},
	}
	for _, tt := range tests {
		if got := r(tt.a).Overlaps(r(tt.b)); got != tt.want {
			t.Errorf("%s overlaps %s = %t, want %t", tt.a, tt.b, got, tt.want)
		}
		if got := r(tt.b).Overlaps(r(tt.a)); got != tt.want {
			t.Errorf("%s overlaps %s = %t, want %t", tt.b, tt.a, got, tt.want)
		}
	}
	if !r("10.0.0.0/24").Contains(netip.MustParseAddr("10.0.0.255")) || r("10.0.0.0/24").Contains(netip.MustParseAddr("10.0.1.0")) {
		t.Error("AddrRange.Contains is wrong at the edges of 10.0.0.0/24")
	}
}

func TestAddrRangePrefixes(t *testing.T) {
	for _, c := range []struct {
		r    string
		want []string
	}{
		{"10.250.0.0/24", []string{"10.250.0.0/24"}},
		{"10.250.0.1-10.250.0.9", []string{"10.250.0.1/32", "10.250.0.2/31", "10.250.0.4/30", "10.250.0.8/31"}},
		{"10.250.3.254-10.250.4.1", []string{"10.250.3.254/31", "10.250.4.0/31"}},
		{"10.250.0.7-10.250.0.7", []string{"10.250.0.7/32"}},
		{"fd00:250::/120", []string{"fd00:250::/120"}},
		{"255.255.255.254-255.255.255.255", []string{"255.255.255.254/31"}},
	} {
		r, err := ParsePoolAddress(c.r)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range r.Prefixes() {
			got = append(got, p.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.r, got, c.want)
		}
	}
}
