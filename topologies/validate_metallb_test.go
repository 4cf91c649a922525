package topologies

import (
	"testing"
)

func TestWidestPrefixBits(t *testing.T) {
	tests := map[string]int{
		"10.250.0.0/28":                   28,
		"10.250.0.0/32":                   32,
		"10.250.0.1-10.250.0.9":           30, // .1/32 .2/31 .4/30 .8/31
		"10.250.0.0-10.250.0.255":         24,
		"10.250.0.255-10.250.1.0":         32,
		"0.0.0.0/0":                       0,
		"255.255.255.254-255.255.255.255": 31,
		"fd00:250::/124":                  124,
		"fd00:250::1-fd00:250::9":         126,
		"fd00:250::-fd00:250::ffff":       112,
		"::/0":                            0,
	}
	for s, want := range tests {
		r, err := ParsePoolAddress(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := widestPrefixBits(r); got != want {
			t.Errorf("widestPrefixBits(%s) = %d, want %d", s, got, want)
		}
	}
}

func TestCommunityValue(t *testing.T) {
	for in, want := range map[string]string{
		"no-export":       "65535:65281",
		"no-advertise":    "65535:65282",
		"blackhole":       "65535:666",
		"64512:100":       "64512:100",
		"large:64512:1:2": "large:64512:1:2",
	} {
		if got := CommunityValue(in); got != want {
			t.Errorf("CommunityValue(%q) = %q, want %q", in, got, want)
		}
	}
	// Every well-known value is itself a valid community, and callers get a copy.
	wk := WellKnownCommunities()
	for name, v := range wk {
		if msg := communityProblem(v); msg != "" {
			t.Errorf("%s = %q: %s", name, v, msg)
		}
		if msg := communityProblem(name); msg != "" {
			t.Errorf("%s refused: %s", name, msg)
		}
	}
	wk["no-export"] = "1:1"
	if CommunityValue("no-export") != "65535:65281" {
		t.Error("changing the map WellKnownCommunities returned changed the package's")
	}
}
