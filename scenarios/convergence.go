package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/routers"
)

// FaultCase is one fault to measure and what it must do.
type FaultCase struct {
	Fault harness.Fault
	// Withdraws: the fault must take the target node's next hop off the
	// router that peers with it (node faults). The measurement fails when
	// it never goes.
	Withdraws bool
	// Hold is how long the fault stays in place once the next hop is gone
	// (or, when nothing is withdrawn, once it is applied): the outage a
	// user would see. Zero: 2 s.
	Hold time.Duration
	// Probe names a client that sends ProbeRate requests per second (each
	// on a new connection) to the first service throughout; empty: none.
	Probe     string
	ProbeRate int
}

// Convergence is what one fault did, from observed events: the router's
// own samples (routers.Watch) and the harness's time stamps. Times are in
// milliseconds; a missing one (null in JSON) was not seen.
type Convergence struct {
	Fault   string `json:"fault"`
	Router  string `json:"router"`
	NextHop string `json:"nextHop,omitempty"` // the target node's address
	Prefix  string `json:"prefix"`
	// BFDDetectMs is the theory: the session's receive interval times its
	// multiplier (without BFD, the hold time).
	BFDDetectMs float64 `json:"bfdDetectMs"`

	Injected time.Time `json:"injected"`
	// Since the fault was injected:
	BFDDownMs         *float64 `json:"bfdDownMs"`
	RIBWithdrawnMs    *float64 `json:"ribWithdrawnMs"`
	KernelWithdrawnMs *float64 `json:"kernelWithdrawnMs"`
	UndoneMs          *float64 `json:"undoneMs"` // null for faults with no undo
	// Since the fault was undone (or injected, for faults with no undo);
	// negative: back while the fault was still in place.
	BFDUpMs      *float64 `json:"bfdUpMs"`
	RIBBackMs    *float64 `json:"ribBackMs"`
	KernelBackMs *float64 `json:"kernelBackMs"`
	// GreenMs: the oracle holds (sessions, BFD, every route on every
	// router and in its kernel) and every service answers every curl from
	// every client and router.
	GreenMs float64 `json:"greenMs"`

	// Traffic, when a probe ran: requests sent from the fault until green,
	// how many failed, the first and last failed one (sent, since the
	// fault), and how many of those sent after the kernel withdrew the next
	// hop failed all the same (ETP Cluster: a node still forwards to pods
	// on the dead node until their endpoints go).
	Requests              int            `json:"requests,omitempty"`
	Failed                int            `json:"failed,omitempty"`
	FirstFailMs           *float64       `json:"firstFailMs,omitempty"`
	LastFailMs            *float64       `json:"lastFailMs,omitempty"`
	FailedAfterWithdrawal int            `json:"failedAfterWithdrawal,omitempty"`
	AnsweredBy            map[string]int `json:"answeredBy,omitempty"`
	ProbeErrors           []string       `json:"probeErrors,omitempty"` // the first few

	// How often the router was sampled (median gaps): the resolution of
	// the numbers above.
	KernelSampleMs float64 `json:"kernelSampleMs"`
	FRRSampleMs    float64 `json:"frrSampleMs"`
}

// MeasureFault injects a fault into a green lab, watches the router that
// peers with the target node, takes the fault back after its hold, and
// waits until the lab is fully green again, data plane included. It fails
// when the lab is not green to begin with, when a withdrawing fault never
// withdraws the next hop, or when the lab does not heal.
func MeasureFault(ctx context.Context, lab *harness.Lab, fc FaultCase) (Convergence, error) {
	c := Convergence{Fault: fc.Fault.String()}
	green := All(Converged(), ReachableEverywhere(10))
	if err := Eventually(ctx, lab, 2*time.Minute, time.Second, green); err != nil {
		return c, fmt.Errorf("the lab is not green before the fault: %w", err)
	}
	p, err := lab.Plan(ctx)
	if err != nil {
		return c, err
	}
	router, nh, rp, err := watchedRouter(p, fc.Fault.Target)
	if err != nil {
		return c, err
	}
	c.Router = router
	if nh.IsValid() {
		c.NextHop = nh.String()
	}
	if rp.BFD != nil {
		c.BFDDetectMs = float64(rp.BFD.ReceiveInterval) * float64(rp.BFD.DetectMultiplier)
	}
	prefix, err := servicePrefix(ctx, lab, p)
	if err != nil {
		return c, err
	}
	c.Prefix = prefix.String()
	ex, err := lab.Exec(router)
	if err != nil {
		return c, err
	}
	w, err := routers.StartWatch(ctx, ex, prefix, 5*time.Minute)
	if err != nil {
		return c, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = w.Stop(context.WithoutCancel(ctx))
		}
	}()
	var probe *harness.Probe
	if fc.Probe != "" {
		rate := fc.ProbeRate
		if rate == 0 {
			rate = 100
		}
		port := p.Topology.Services[0].Port
		if probe, err = lab.StartProbe(ctx, fc.Probe, netip.AddrPortFrom(prefix.Addr(), uint16(port)), rate); err != nil {
			return c, err
		}
		defer func() {
			if probe != nil {
				_, _ = probe.Stop(context.WithoutCancel(ctx))
			}
		}()
	}

	at0, err := lab.Inject(ctx, fc.Fault)
	if err != nil {
		return c, err
	}
	c.Injected = at0
	var failures []error
	q := routers.NewQuerier(ex)
	if fc.Withdraws {
		err := wait.Until(ctx, 30*time.Second, 100*time.Millisecond, func(ctx context.Context) error {
			rs, err := q.KernelRoute(ctx, prefix)
			if err != nil {
				return err
			}
			for _, r := range rs {
				// A router's own fault must take every node next hop.
				if gws := r.Gateways(); slices.Contains(gws, nh) || !nh.IsValid() && len(gws) > 0 {
					return fmt.Errorf("router %s: kernel route %s still via %v", router, prefix, gws)
				}
			}
			return nil
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("next hop never withdrawn: %w", err))
		}
	}
	hold := fc.Hold
	if hold == 0 {
		hold = 2 * time.Second
	}
	// The outage itself: a deliberate wait, not a stand-in for readiness.
	select {
	case <-ctx.Done():
		return c, ctx.Err()
	case <-time.After(hold):
	}
	at1 := at0
	if !fc.Fault.Kind.OneShot() {
		if at1, err = lab.Undo(ctx, fc.Fault); err != nil {
			return c, errors.Join(append(failures, err)...)
		}
		c.UndoneMs = ms(at1.Sub(at0))
	}
	if err := Eventually(ctx, lab, 3*time.Minute, time.Second, green); err != nil {
		failures = append(failures, fmt.Errorf("the lab did not heal after %s: %w", fc.Fault, err))
	}
	c.GreenMs = float64(time.Since(at1).Milliseconds())
	res, err := w.Stop(ctx)
	stopped = true
	if err != nil {
		return c, errors.Join(append(failures, err)...)
	}
	c.fill(res, nh, at0, at1)
	if probe != nil {
		recs, err := probe.Stop(ctx)
		probe = nil
		if err != nil {
			return c, errors.Join(append(failures, err)...)
		}
		c.traffic(recs, at0, at1.Add(time.Duration(c.GreenMs)*time.Millisecond))
		if c.Requests == 0 {
			failures = append(failures, fmt.Errorf("the probe from %s sent no request between the fault and green", fc.Probe))
		}
	}
	return c, errors.Join(failures...)
}

// watchedRouter is the router to watch for a fault on target: the router
// itself, a client's router, or the first router (in topology order) that
// peers with the target node, with the node's address as its next hop.
func watchedRouter(p *harness.Plan, target string) (string, netip.Addr, harness.RouterPlan, error) {
	if rp, ok := p.Routers[target]; ok {
		return target, netip.Addr{}, rp, nil
	}
	for _, c := range p.Topology.Clients {
		if c.Name == target {
			return c.Via, netip.Addr{}, p.Routers[c.Via], nil
		}
	}
	for _, r := range p.Topology.Routers {
		rp := p.Routers[r.Name]
		for _, s := range rp.NodeSessions {
			if s.Node == target && s.Addr.Is4() {
				return r.Name, s.Addr, rp, nil
			}
		}
	}
	return "", netip.Addr{}, harness.RouterPlan{}, fmt.Errorf("no router peers with %q over IPv4: nothing to watch", target)
}

// servicePrefix is the host route of the first service's first address.
func servicePrefix(ctx context.Context, lab *harness.Lab, p *harness.Plan) (netip.Prefix, error) {
	if len(p.Topology.Services) == 0 {
		return netip.Prefix{}, fmt.Errorf("the topology has no service to watch")
	}
	name := p.Topology.Services[0].Name
	ips, err := lab.ServiceIPs(ctx, name)
	if err != nil {
		return netip.Prefix{}, err
	}
	if len(ips) == 0 {
		return netip.Prefix{}, fmt.Errorf("service %s has no address", name)
	}
	return netip.PrefixFrom(ips[0], ips[0].BitLen()), nil
}

// fill reads the watch: the first change after the fault and the first
// return after that, counted from the undo: negative when it came back with
// the fault still in place (BGP re-establishes while BFD packets are
// dropped: FRR does not hold a session down for BFD). With no next hop (a
// router fault), "withdrawn" is every node next hop gone and "back" is the
// full set back.
func (c *Convergence) fill(res *routers.WatchResult, nh netip.Addr, at0, at1 time.Time) {
	var full []netip.Addr // the set before the fault
	for _, s := range res.Kernel {
		if s.At.Before(at0) {
			full = s.Gateways
		}
	}
	gone := func(gws []netip.Addr) bool {
		if nh.IsValid() {
			return !slices.Contains(gws, nh)
		}
		return len(gws) == 0
	}
	back := func(gws []netip.Addr) bool {
		if nh.IsValid() {
			return slices.Contains(gws, nh)
		}
		return len(full) > 0 && slices.Equal(gws, full)
	}
	bfdUp := func(s routers.FRRSample) (up, known bool) {
		for _, b := range s.BFD {
			if b.Peer == nh {
				return b.Status == "up", true
			}
		}
		return false, false
	}
	var withdrawnAt time.Time
	for _, s := range res.Kernel {
		if s.At.Before(at0) {
			continue
		}
		if c.KernelWithdrawnMs == nil && gone(s.Gateways) {
			c.KernelWithdrawnMs, withdrawnAt = ms(s.At.Sub(at0)), s.At
		}
		if !withdrawnAt.IsZero() && s.At.After(withdrawnAt) && back(s.Gateways) {
			c.KernelBackMs = ms(s.At.Sub(at1))
			break
		}
	}
	var ribGoneAt, bfdDownAt time.Time
	for _, s := range res.FRR {
		if s.At.Before(at0) {
			continue
		}
		if c.RIBWithdrawnMs == nil && gone(s.Gateways) && (nh.IsValid() || s.BFD != nil) {
			c.RIBWithdrawnMs, ribGoneAt = ms(s.At.Sub(at0)), s.At
		}
		if !ribGoneAt.IsZero() && c.RIBBackMs == nil && s.At.After(ribGoneAt) && back(s.Gateways) {
			c.RIBBackMs = ms(s.At.Sub(at1))
		}
		if !nh.IsValid() {
			continue
		}
		up, known := bfdUp(s)
		if c.BFDDownMs == nil && known && !up {
			c.BFDDownMs, bfdDownAt = ms(s.At.Sub(at0)), s.At
		}
		if !bfdDownAt.IsZero() && c.BFDUpMs == nil && s.At.After(bfdDownAt) && up {
			c.BFDUpMs = ms(s.At.Sub(at1))
		}
	}
	c.KernelSampleMs = medianGap(len(res.Kernel), func(i int) time.Time { return res.Kernel[i].At })
	c.FRRSampleMs = medianGap(len(res.FRR), func(i int) time.Time { return res.FRR[i].At })
}

// traffic counts the probe's requests sent between the fault and green.
func (c *Convergence) traffic(recs []harness.ProbeRecord, from, to time.Time) {
	var withdrawn time.Time
	if c.KernelWithdrawnMs != nil {
		withdrawn = from.Add(time.Duration(*c.KernelWithdrawnMs * float64(time.Millisecond)))
	}
	c.AnsweredBy = map[string]int{}
	for _, r := range recs {
		if r.Sent.Before(from) || r.Sent.After(to) {
			continue
		}
		c.Requests++
		if r.OK {
			c.AnsweredBy[r.Node]++
			continue
		}
		c.Failed++
		at := ms(r.Sent.Sub(from))
		if c.FirstFailMs == nil || *at < *c.FirstFailMs {
			c.FirstFailMs = at
		}
		if c.LastFailMs == nil || *at > *c.LastFailMs {
			c.LastFailMs = at
		}
		if !withdrawn.IsZero() && r.Sent.After(withdrawn) {
			c.FailedAfterWithdrawal++
		}
		if len(c.ProbeErrors) < 3 && !slices.Contains(c.ProbeErrors, r.Error) {
			c.ProbeErrors = append(c.ProbeErrors, r.Error)
		}
	}
}

func medianGap(n int, at func(int) time.Time) float64 {
	if n < 2 {
		return 0
	}
	gaps := make([]time.Duration, 0, n-1)
	for i := 1; i < n; i++ {
		gaps = append(gaps, at(i).Sub(at(i-1)))
	}
	slices.Sort(gaps)
	return float64(gaps[len(gaps)/2].Microseconds()) / 1000
}

func ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

// ConvergenceTable renders reports as a table for test logs and the CLI.
func ConvergenceTable(cs []Convergence) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tROUTER\tNEXT HOP\tDETECT (THEORY)\tBFD DOWN\tRIB GONE\tKERNEL GONE\tUNDONE\tBFD UP\tKERNEL BACK\tGREEN\tLOST\tFAILS SENT\tLOST AFTER GONE\tSAMPLES (K/FRR)")
	for _, c := range cs {
		lost, window, after := "-", "-", "-"
		if c.Requests > 0 {
			lost = fmt.Sprintf("%d/%d", c.Failed, c.Requests)
			after = fmt.Sprint(c.FailedAfterWithdrawal)
		}
		if c.FirstFailMs != nil {
			window = msText(c.FirstFailMs) + ".." + msText(c.LastFailMs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f/%.0f ms\n",
			c.Fault, c.Router, orDash(c.NextHop), msText(&c.BFDDetectMs), msText(c.BFDDownMs), msText(c.RIBWithdrawnMs), msText(c.KernelWithdrawnMs),
			msText(c.UndoneMs), msText(c.BFDUpMs), msText(c.KernelBackMs), msText(&c.GreenMs), lost, window, after, c.KernelSampleMs, c.FRRSampleMs)
	}
	tw.Flush()
	return b.String()
}

// WriteConvergence saves the reports as JSON and as the table.
func WriteConvergence(dir string, cs []Convergence) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "convergence.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "convergence.txt"), []byte(ConvergenceTable(cs)), 0o644)
}

func msText(v *float64) string {
	switch {
	case v == nil:
		return "-"
	case *v == 0:
		return "-"
	case *v >= 10000:
		return fmt.Sprintf("%.1fs", *v/1000)
	default:
		return fmt.Sprintf("%.0fms", *v)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
