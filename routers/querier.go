package routers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/peerlab/peerlab/internal/wait"
)

// Querier asks a router about its state through an Executor and returns
// typed values. The same Querier works for a router container and for the
// frr container of a MetalLB speaker pod: only the Executor differs.
type Querier struct {
	exec Executor
}

// NewQuerier returns a Querier that runs its commands through exec.
func NewQuerier(exec Executor) *Querier { return &Querier{exec: exec} }

// IPFamily selects IPv4 or IPv6 routes.
type IPFamily int

const (
	IPv4 IPFamily = 4
	IPv6 IPFamily = 6
)

func (f IPFamily) String() string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

func familyOfPrefix(p netip.Prefix) IPFamily {
	if p.Addr().Is6() {
		return IPv6
	}
	return IPv4
}

// vtysh runs one vtysh command. vtysh exits 0 for most failures and prints
// the reason ("% Unknown command", "bgpd is not running"), so output starting
// with "%" is an error too.
func (q *Querier) vtysh(ctx context.Context, command string) ([]byte, error) {
	stdout, stderr, err := q.exec.Exec(ctx, []string{"vtysh", "-c", command})
	if err != nil {
		return stdout, fmt.Errorf("vtysh -c %q: %w", command, err)
	}
	if t := strings.TrimSpace(string(stdout)); strings.HasPrefix(t, "%") {
		return stdout, fmt.Errorf("vtysh -c %q: %s", command, truncate(t, 300))
	}
	if len(stdout) == 0 && len(stderr) > 0 {
		return stdout, fmt.Errorf("vtysh -c %q: %s", command, truncate(strings.TrimSpace(string(stderr)), 300))
	}
	return stdout, nil
}

func (q *Querier) vtyshJSON(ctx context.Context, command string, decode func([]byte) error) error {
	out, err := q.vtysh(ctx, command)
	if err != nil {
		return err
	}
	if err := decode(out); err != nil {
		return fmt.Errorf("vtysh -c %q: %w", command, err)
	}
	return nil
}

// RunningConfig is FRR's running configuration as text.
func (q *Querier) RunningConfig(ctx context.Context) (string, error) {
	out, err := q.vtysh(ctx, "show running-config")
	return string(out), err
}

// Neighbors lists the BGP neighbors of the default VRF, sorted by address.
func (q *Querier) Neighbors(ctx context.Context) ([]BGPNeighbor, error) {
	var ns []BGPNeighbor
	err := q.vtyshJSON(ctx, "show bgp neighbors json", func(b []byte) (err error) {
		ns, err = parseNeighbors(b)
		return err
	})
	return ns, err
}

// BFDPeers lists the BFD sessions of bfdd, sorted by peer address.
func (q *Querier) BFDPeers(ctx context.Context) ([]BFDPeer, error) {
	var ps []BFDPeer
	err := q.vtyshJSON(ctx, "show bfd peers json", func(b []byte) (err error) {
		ps, err = parseBFDPeers(b)
		return err
	})
	return ps, err
}

// Routes lists zebra's RIB for one IP family: every route of every
// protocol, selected or not.
func (q *Querier) Routes(ctx context.Context, family IPFamily) ([]Route, error) {
	cmd := "show ip route json"
	if family == IPv6 {
		cmd = "show ipv6 route json"
	}
	var rs []Route
	err := q.vtyshJSON(ctx, cmd, func(b []byte) (err error) {
		rs, err = parseRoutes(b)
		return err
	})
	return rs, err
}

// Route lists zebra's RIB entries for exactly prefix (one per protocol that
// offers it); none when the RIB has no such prefix.
func (q *Querier) Route(ctx context.Context, prefix netip.Prefix) ([]Route, error) {
	cmd := "show ip route " + prefix.String() + " json"
	if prefix.Addr().Is6() {
		cmd = "show ipv6 route " + prefix.String() + " json"
	}
	var rs []Route
	err := q.vtyshJSON(ctx, cmd, func(b []byte) (err error) {
		rs, err = parseRoutes(b)
		return err
	})
	// FRR answers a prefix lookup with the covering entries as well; keep
	// only the exact prefix.
	exact := rs[:0]
	for _, r := range rs {
		if r.Prefix == prefix {
			exact = append(exact, r)
		}
	}
	return exact, err
}

// KernelRoutes lists the kernel's main routing table for one family, as
// `ip -j route` reports it.
func (q *Querier) KernelRoutes(ctx context.Context, family IPFamily) ([]KernelRoute, error) {
	return q.kernelRoutes(ctx, ipRouteCmd(family))
}

// KernelRoute lists the kernel's main-table entries for exactly prefix
// (several with different metrics or types are possible; usually one).
func (q *Querier) KernelRoute(ctx context.Context, prefix netip.Prefix) ([]KernelRoute, error) {
	return q.kernelRoutes(ctx, append(ipRouteCmd(familyOfPrefix(prefix)), "exact", prefix.String()))
}

func ipRouteCmd(family IPFamily) []string {
	if family == IPv6 {
		return []string{"ip", "-6", "-j", "route", "show"}
	}
	return []string{"ip", "-4", "-j", "route", "show"}
}

func (q *Querier) kernelRoutes(ctx context.Context, cmd []string) ([]KernelRoute, error) {
	out, _, err := q.exec.Exec(ctx, cmd)
	if err != nil {
		return nil, err
	}
	rs, err := parseKernelRoutes(out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(cmd, " "), err)
	}
	return rs, nil
}

// Verify runs every check once and returns their failures joined (nil when
// all hold).
func (q *Querier) Verify(ctx context.Context, checks ...Check) error {
	var errs []error
	for _, c := range checks {
		if err := c(ctx, q); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Await runs the checks every interval until they all hold or ctx ends; it
// then returns the last failure seen, so a timeout says what was still wrong.
func (q *Querier) Await(ctx context.Context, every time.Duration, checks ...Check) error {
	return wait.Until(ctx, 0, every, func(ctx context.Context) error { return q.Verify(ctx, checks...) })
}

// decodeJSON is json.Unmarshal with the input's start in the error, since
// FRR sometimes prints a text warning where JSON was expected.
func decodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %q: %w", truncate(strings.TrimSpace(string(b)), 200), err)
	}
	return nil
}
