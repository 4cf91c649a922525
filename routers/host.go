package routers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// Host is an end host on lab networks, such as an external client behind a
// router: the same container as a router (curl, ip, ping, tcpdump are in the
// image) with no BGP, whose default routes point at given gateways instead
// of at Docker's gateway on the host.
type Host struct {
	*FRR
}

// StartHost starts a host named hostname on the networks given by opts and
// points its default route, per family, at the gateways (zero addresses are
// skipped). On error nothing is left behind.
func StartHost(ctx context.Context, hostname string, gateways []netip.Addr, opts ...Option) (*Host, error) {
	// The default routes are also static routes of the host's own FRR:
	// the kernel deletes a route through a link that goes down, and zebra
	// installs its static ones again when the link is back, so the host
	// survives a link flap. (The kernel route set below wins until then.)
	spec := Spec{Hostname: hostname}
	for _, gw := range gateways {
		if !gw.IsValid() {
			continue
		}
		def := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if gw.Is6() {
			def = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		spec.StaticRoutes = append(spec.StaticRoutes, StaticRoute{Prefix: def, NextHop: gw})
	}
	f, err := Start(ctx, spec, opts...)
	if err != nil {
		return nil, err
	}
	for _, gw := range gateways {
		if !gw.IsValid() {
			continue
		}
		fam := "-4"
		if gw.Is6() {
			fam = "-6"
		}
		if _, stderr, err := f.Exec(ctx, []string{"ip", fam, "route", "replace", "default", "via", gw.String()}); err != nil {
			return nil, errors.Join(fmt.Errorf("host %s: default route via %s: %w: %s", hostname, gw, err, stderr), f.Terminate(context.WithoutCancel(ctx)))
		}
	}
	return &Host{f}, nil
}
