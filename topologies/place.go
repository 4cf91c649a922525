package topologies

import (
	"fmt"
	"math/big"
	"net/netip"
	"reflect"
	"strings"
)

// SlotStride is how far Shift moves a network per slot, in networks of its own size: 16, so
// that networks numbered next to each other (10.0.0.0/24, 10.0.1.0/24) stay apart, and a /24
// lab moves to the next /20 (172.30.0.0/24 to 172.30.16.0/24, fd00:30::/64 to
// fd00:30:0:10::/64).
const SlotStride = 16

// Shift returns the topology moved to slot n, so that several labs of one topology can run on
// one host: every lab network moves by n*SlotStride networks of its own size, and with it every
// address and prefix inside it (router and client addresses, router IDs, static routes, MetalLB
// peer addresses). What is not on a lab network (pools, service IPs, pod and service subnets)
// stays: it lives inside the lab's own routers and cluster, never on the host. Slot 0 is the
// topology itself. The result is validated: a slot that makes networks overlap, or that runs
// out of the address space, is an error.
func (t Topology) Shift(n int) (Topology, error) {
	if n < 0 {
		return Topology{}, fmt.Errorf("slot %d: want 0 or more", n)
	}
	t = t.Clone()
	if n == 0 {
		return t, nil
	}
	type move struct {
		from netip.Prefix
		by   *big.Int
	}
	var moves []move
	for _, nw := range t.Networks {
		for _, p := range []netip.Prefix{nw.IPv4, nw.IPv6} {
			if !p.IsValid() {
				continue
			}
			size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
			moves = append(moves, move{p.Masked(), size.Mul(size, big.NewInt(int64(n*SlotStride)))})
		}
	}
	var err error
	shiftAddr := func(a netip.Addr) netip.Addr {
		for _, m := range moves {
			if !m.from.Contains(a) {
				continue
			}
			b, ok := addOffset(a, m.by)
			if !ok && err == nil {
				err = fmt.Errorf("slot %d moves %s out of the IPv%d address space", n, m.from, map[bool]int{true: 4, false: 6}[a.Is4()])
			}
			return b
		}
		return a
	}
	walk(reflect.ValueOf(&t).Elem(), func(v reflect.Value) {
		switch x := v.Interface().(type) {
		case netip.Addr:
			if x.IsValid() {
				v.Set(reflect.ValueOf(shiftAddr(x)))
			}
		case netip.Prefix:
			if !x.IsValid() {
				return
			}
			for _, m := range moves {
				if m.from.Bits() <= x.Bits() && m.from.Contains(x.Addr()) {
					v.Set(reflect.ValueOf(netip.PrefixFrom(shiftAddr(x.Addr()), x.Bits())))
					return
				}
			}
		}
	})
	// Pool addresses are text; an L2 pool lies inside the nodes' network and
	// moves with it (a BGP pool lies outside every network and stays).
	for i := range t.MetalLB.Pools {
		addrs := t.MetalLB.Pools[i].Addresses
		for j, a := range addrs {
			r, perr := ParsePoolAddress(a)
			if perr != nil || shiftAddr(r.From) == r.From {
				continue
			}
			if p, perr := netip.ParsePrefix(strings.TrimSpace(a)); perr == nil {
				addrs[j] = netip.PrefixFrom(shiftAddr(p.Addr()), p.Bits()).String()
			} else {
				addrs[j] = shiftAddr(r.From).String() + "-" + shiftAddr(r.To).String()
			}
		}
	}
	if err != nil {
		return Topology{}, err
	}
	if err := t.WithDefaults().Validate(); err != nil {
		return Topology{}, fmt.Errorf("topology %s in slot %d: %w", t.Name, n, err)
	}
	return t, nil
}

var (
	addrType   = reflect.TypeOf(netip.Addr{})
	prefixType = reflect.TypeOf(netip.Prefix{})
)

// walk calls fn on every settable netip.Addr and netip.Prefix in v.
func walk(v reflect.Value, fn func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == addrType || v.Type() == prefixType {
			fn(v)
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), fn)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), fn)
		}
	}
}

// addOffset adds by to a; false when the sum leaves a's address space.
func addOffset(a netip.Addr, by *big.Int) (netip.Addr, bool) {
	b := a.As16()
	sum := new(big.Int).Add(new(big.Int).SetBytes(b[:]), by)
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	if a.Is4() {
		limit = new(big.Int).Add(new(big.Int).SetBytes(b[:12]), big.NewInt(0))
		limit.Lsh(limit, 32)
		limit.Add(limit, new(big.Int).Lsh(big.NewInt(1), 32))
	}
	if sum.Cmp(limit) >= 0 {
		return a, false
	}
	var out [16]byte
	sum.FillBytes(out[:])
	r := netip.AddrFrom16(out)
	if a.Is4() {
		r = r.Unmap()
	}
	return r, true
}
