package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/peerlab/peerlab/images/cnid/noderoutes"
)

// syncLabRoutes adds back any of the harness's routes that is missing or
// different. It never deletes: the file only grows with the lab, and a
// route someone added by hand next to them is theirs.
func (d *daemon) syncLabRoutes() error {
	b, err := os.ReadFile(d.labRoutes)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a cluster the harness did not make, or not written yet
	}
	if err != nil {
		return err
	}
	f, err := noderoutes.Parse(b)
	if err != nil {
		return err
	}
	link, err := labLink(f.Networks)
	if err != nil {
		return err
	}
	var errs []string
	// Most specific first (the file lists the default route first): while
	// they go back, a reply must never find the default route, which leads
	// out of the lab, and not yet its own.
	for i := len(f.Routes) - 1; i >= 0; i-- {
		r := f.Routes[i]
		want := netlink.Route{LinkIndex: link.Attrs().Index, Dst: ipNet(r.Dst), Table: syscall.RT_TABLE_MAIN}
		if r.Via.IsValid() {
			want.Gw = net.IP(r.Via.AsSlice())
		} else {
			want.Scope = netlink.SCOPE_LINK
		}
		fam := netlink.FAMILY_V4
		if r.Dst.Addr().Is6() {
			fam = netlink.FAMILY_V6
		}
		have, err := netlink.RouteList(nil, fam)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		if present(have, want) {
			continue
		}
		if err := netlink.RouteReplace(&want); err != nil {
			errs = append(errs, fmt.Sprintf("%s dev %s: %v", r, link.Attrs().Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("lab routes: %s", strings.Join(errs, "; "))
	}
	return nil
}

// labLink is the interface holding an address in one of the lab's prefixes.
func labLink(nets []netip.Prefix) (netlink.Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			for _, n := range nets {
				if n.Contains(ip.Unmap()) {
					return l, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no interface has an address in %v", nets)
}

// present: is there a main-table route for want's destination through the
// same link and gateway?
func present(have []netlink.Route, want netlink.Route) bool {
	for _, h := range have {
		if h.Table != syscall.RT_TABLE_MAIN && h.Table != 0 {
			continue
		}
		if dstString(h.Dst, want.Dst) != want.Dst.String() || h.LinkIndex != want.LinkIndex {
			continue
		}
		if want.Gw == nil && h.Gw == nil || want.Gw.Equal(h.Gw) {
			return true
		}
	}
	return false
}

// dstString renders a route's destination; netlink gives a default route
// a nil Dst, so it takes the family from the wanted one.
func dstString(dst, like *net.IPNet) string {
	if dst != nil {
		return dst.String()
	}
	if like.IP.To4() != nil {
		return "0.0.0.0/0"
	}
	return "::/0"
}

func ipNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
