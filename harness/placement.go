package harness

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/peerlab/peerlab/topologies"
)

// maxSlots bounds the search for free subnets (topologies.Shift): 16
// labs of one topology at once is far more than a host holds.
const maxSlots = 16

// WithFreeSubnets lets the lab move its networks to the first free slot
// (topologies.Shift) when its own subnets are taken by another lab or
// Docker network, so labs of one topology run side by side. Without it a
// taken subnet is an error naming the lab that holds it.
func WithFreeSubnets() Option { return func(l *Lab) error { l.freeSubnets = true; return nil } }

// placementLockPath serialises choosing subnets and creating the networks
// across processes: two labs starting at once would otherwise both find
// slot 0 free.
func placementLockPath() string { return filepath.Join(os.TempDir(), "peerlab-subnets.lock") }

// place picks the lab's slot and holds the placement lock until
// unlockPlacement (after the networks exist).
func (l *Lab) place(ctx context.Context) error {
	f, err := os.OpenFile(placementLockPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("placement lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("placement lock %s: %w", f.Name(), err)
	}
	l.placeLock = f
	if !l.freeSubnets {
		return checkSubnetsFree(ctx, l.docker, l.networks)
	}
	var first error
	for slot := range maxSlots {
		t, err := l.topo.Shift(slot)
		if err != nil {
			if first == nil {
				first = err
			}
			break
		}
		nets := networkPlan(l.id, t)
		err = checkSubnetsFree(ctx, l.docker, nets)
		if err == nil {
			if slot > 0 {
				l.logf("subnets of %s are taken; this lab uses slot %d: %s", t.Name, slot, subnetList(t))
			}
			l.topo, l.networks = t, nets
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return fmt.Errorf("no free subnets for topology %s in %d slots (remove labs with 'peerlab down', or give the topology other subnets); slot 0: %w", l.topo.Name, maxSlots, first)
}

func (l *Lab) unlockPlacement() {
	if l.placeLock != nil {
		l.placeLock.Close() // closing releases the flock
		l.placeLock = nil
	}
}

func subnetList(t topologies.Topology) string {
	var s []string
	for _, n := range t.Networks {
		for _, p := range []netip.Prefix{n.IPv4, n.IPv6} {
			if p.IsValid() {
				s = append(s, n.Name+" "+p.String())
			}
		}
	}
	return strings.Join(s, ", ")
}

// placed returns t moved to this lab's slot: a topology written for slot
// 0 (a file, a builtin) applied to a lab that runs in another slot. A
// topology already in the lab's slot, or one whose networks match no
// slot, is returned as it is (Apply then names what differs).
func (l *Lab) placed(t topologies.Topology) topologies.Topology {
	same := func(a, b topologies.Topology) bool {
		return slices.EqualFunc(a.Networks, b.Networks, func(x, y topologies.Network) bool {
			return x.Name == y.Name && x.IPv4 == y.IPv4 && x.IPv6 == y.IPv6
		})
	}
	if same(t, l.topo) {
		return t
	}
	for slot := 1; slot < maxSlots; slot++ {
		s, err := t.Shift(slot)
		if err != nil {
			break
		}
		if same(s, l.topo) {
			return s
		}
	}
	return t
}
