package topologies

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
)

// Smallest subnets the lab accepts: the lower half must keep at least two static addresses
// besides the network address and the gateway, and the upper half room for a node.
const (
	maxBitsIPv4 = 29
	maxBitsIPv6 = 125
)

// Gateway returns the address the harness gives Docker as the network's gateway, which
// Docker puts on the host's bridge: the last usable address of the dynamic range (.254 of a
// /24; the last but one of an IPv6 range). Docker reserves it there, so no node gets it, and
// it stays out of the static lower half: a topology can give a router the first host (.1),
// as most real networks and write-ups do. (Without an explicit gateway Docker would take
// the range's first address.)
func Gateway(subnet netip.Prefix) netip.Addr {
	dyn, err := DynamicRange(subnet)
	if err != nil {
		// Too small for a lab network; Validate says so.
		return subnet.Masked().Addr().Next()
	}
	return lastAddr(dyn).Prev()
}

// DynamicRange returns the upper half of subnet, e.g. 172.30.0.128/25 for 172.30.0.0/24
// (for IPv6 at most a /112 at the start of the upper half, e.g. fd00:30::8000:0:0:0/112
// for fd00:30::/64).
// The harness passes it to Docker as the network's IP range, so that containers without a
// static address (the kind nodes) are allocated there, while Validate keeps every static
// address (routers, clients) in the lower half. It is also the range a router can accept
// node sessions from.
func DynamicRange(subnet netip.Prefix) (netip.Prefix, error) {
	if !subnet.IsValid() {
		return netip.Prefix{}, errors.New("invalid subnet")
	}
	subnet = subnet.Masked()
	maxBits := maxBitsIPv4
	if subnet.Addr().Is6() {
		maxBits = maxBitsIPv6
	}
	if subnet.Bits() > maxBits {
		return netip.Prefix{}, fmt.Errorf("subnet %s is smaller than /%d: no room for a static lower half and a dynamic upper half", subnet, maxBits)
	}
	b := subnet.Addr().AsSlice()
	bit := subnet.Bits()
	b[bit/8] |= 0x80 >> (bit % 8)
	a, _ := netip.AddrFromSlice(b)
	// Docker 20.10's address allocator fails ("invalid bit range") on IPv6
	// ranges of 2^63 addresses or more, e.g. the upper half of a /64. An
	// IPv6 dynamic range is therefore the first /maxDynamicBitsIPv6 of the
	// upper half: still far more addresses than any lab has nodes.
	if a.Is6() && bit+1 < maxDynamicBitsIPv6 {
		return netip.PrefixFrom(a, maxDynamicBitsIPv6), nil
	}
	return netip.PrefixFrom(a, bit+1), nil
}

// maxDynamicBitsIPv6 bounds the size of an IPv6 dynamic range (see
// DynamicRange).
const maxDynamicBitsIPv6 = 112

// lastAddr returns the last address of p (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// rangeSize returns the number of addresses in the inclusive range from..to.
func rangeSize(from, to netip.Addr) *big.Int {
	f := new(big.Int).SetBytes(from.AsSlice())
	t := new(big.Int).SetBytes(to.AsSlice())
	return t.Sub(t, f).Add(t, big.NewInt(1))
}

// dynamicCapacity returns how many containers Docker can place in the dynamic range of
// subnet: the upper half, less the IPv4 broadcast address.
func dynamicCapacity(subnet netip.Prefix) (*big.Int, error) {
	dyn, err := DynamicRange(subnet)
	if err != nil {
		return nil, err
	}
	// Less the gateway, and for IPv4 the broadcast address.
	n := rangeSize(dyn.Addr(), lastAddr(dyn))
	n.Sub(n, big.NewInt(1))
	if dyn.Addr().Is4() {
		n.Sub(n, big.NewInt(1))
	}
	return n, nil
}

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct {
	From, To netip.Addr
}

func (r AddrRange) String() string {
	return r.From.String() + "-" + r.To.String()
}

// Contains reports whether a is in the range.
func (r AddrRange) Contains(a netip.Addr) bool {
	return a.BitLen() == r.From.BitLen() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// Overlaps reports whether the two ranges share an address.
func (r AddrRange) Overlaps(o AddrRange) bool {
	return r.From.BitLen() == o.From.BitLen() && r.From.Compare(o.To) <= 0 && o.From.Compare(r.To) <= 0
}

// Is6 reports whether the range is of IPv6 addresses.
func (r AddrRange) Is6() bool { return r.From.Is6() }

// PrefixRange returns the addresses of p as a range.
func PrefixRange(p netip.Prefix) AddrRange {
	return AddrRange{From: p.Masked().Addr(), To: lastAddr(p)}
}

// ParsePoolAddress parses one MetalLB pool entry: a CIDR ("10.250.0.0/28", which must be
// a network address) or an inclusive range ("10.250.0.1-10.250.0.9", one family, from <= to).
func ParsePoolAddress(s string) (AddrRange, error) {
	s = strings.TrimSpace(s)
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return AddrRange{}, fmt.Errorf("%q: invalid range start: %v", s, err)
		}
		b, err := netip.ParseAddr(strings.TrimSpace(to))
		if err != nil {
			return AddrRange{}, fmt.Errorf("%q: invalid range end: %v", s, err)
		}
		if a.Zone() != "" || b.Zone() != "" {
			return AddrRange{}, fmt.Errorf("%q: addresses must not have a zone", s)
		}
		a, b = a.Unmap(), b.Unmap()
		if a.BitLen() != b.BitLen() {
			return AddrRange{}, fmt.Errorf("%q: range mixes IPv4 and IPv6", s)
		}
		if b.Less(a) {
			return AddrRange{}, fmt.Errorf("%q: range ends before it starts", s)
		}
		return AddrRange{From: a, To: b}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return AddrRange{}, fmt.Errorf("%q is neither a CIDR nor a range a-b", s)
	}
	if p != p.Masked() {
		return AddrRange{}, fmt.Errorf("%q is not a network address (did you mean %s?)", s, p.Masked())
	}
	return PrefixRange(p), nil
}

// covers reports whether route prefix r contains every address of p.
func covers(r, p netip.Prefix) bool {
	return r.Bits() <= p.Bits() && r.Contains(p.Masked().Addr())
}

// familyName names the family of an address or prefix for messages.
func familyName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// Prefixes returns the fewest prefixes that together hold exactly the
// range's addresses, in address order.
func (r AddrRange) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	from := r.From
	for from.IsValid() && from.Compare(r.To) <= 0 {
		// The widest prefix that starts at from and ends at or before To.
		bits := from.BitLen()
		for bits > 0 {
			p := netip.PrefixFrom(from, bits-1).Masked()
			if p.Addr() != from || lastAddr(p).Compare(r.To) > 0 {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(from, bits)
		out = append(out, p)
		last := lastAddr(p)
		if last == r.To {
			break
		}
		from = last.Next()
	}
	return out
}
