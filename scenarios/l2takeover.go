package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
	"github.com/peerlab/peerlab/topologies"
)

// L2Takeover is how an L2 service IP moved when its node went away.
type L2Takeover struct {
	Service string     `json:"service"`
	IP      netip.Addr `json:"ip"`
	// Protocol is how neighbors ask for the address: ARP or NDP.
	Protocol string `json:"protocol"`
	// From and To are the owners before and after (Kubernetes node names).
	From string `json:"from"`
	To   string `json:"to"`
	// AnswerMs is from the fault until a neighbor sent the request (ARP,
	// or an NDP neighbor solicitation) that got exactly one answer, from
	// another node (probes go every 200 ms after the last one's second of
	// listening); CurlMs until a request from the neighbor got its answer;
	// StatusMs until MetalLB's ServiceL2Status named the new node.
	AnswerMs float64 `json:"answerMs"`
	CurlMs   float64 `json:"curlMs"`
	StatusMs float64 `json:"statusMs"`
	// Gratuitous counts the unasked announcements of the address the
	// neighbor saw from the new owner: gratuitous ARP (a request for the
	// address itself, or a reply to everyone), or unsolicited neighbor
	// advertisements.
	Gratuitous int `json:"gratuitous"`
}

func (t L2Takeover) String() string {
	return fmt.Sprintf("service %s (%s): %s -> %s; %s answered by the new node after %.0f ms, curl after %.0f ms, ServiceL2Status after %.0f ms; %d gratuitous %s from it",
		t.Service, t.IP, t.From, t.To, t.Protocol, t.AnswerMs, t.CurlMs, t.StatusMs, t.Gratuitous, t.Protocol)
}

// MeasureL2Takeover stops the node that answers for the service's L2
// addresses (one per family: MetalLB elects one node per service) and
// measures, for each address, from the neighbor on the nodes' network, how
// long until another node answers (ARP or NDP), curl works and MetalLB's
// status follows, and counts the new owner's gratuitous announcements; then
// it starts the node again. The caller proves the lab green afterwards.
func MeasureL2Takeover(ctx context.Context, lab *harness.Lab, service, neighbor string, timeout time.Duration) ([]L2Takeover, error) {
	var nb *l2Neighbor
	for _, n := range l2Neighbors(lab.Topology()) {
		if n.name == neighbor {
			nb = &n
		}
	}
	if nb == nil {
		return nil, fmt.Errorf("%s is not a router or client on the nodes' network", neighbor)
	}
	facts, err := L2Facts(ctx, lab)
	if err != nil {
		return nil, err
	}
	var res []L2Takeover
	for _, f := range facts {
		if f.Service != service {
			continue
		}
		if !nb.addr(f.IP).IsValid() {
			return nil, fmt.Errorf("neighbor %s has no %s address to ask for %s from", neighbor, topologies.FamilyOf(f.IP), f.IP)
		}
		if len(res) > 0 && f.Owner != res[0].From {
			return nil, fmt.Errorf("service %s: %s is owned by %q, %s by %q; MetalLB elects one node per service", service, res[0].IP, res[0].From, f.IP, f.Owner)
		}
		res = append(res, L2Takeover{Service: service, IP: f.IP, Protocol: harness.L2Protocol(f.IP), From: f.Owner})
	}
	if len(res) == 0 || res[0].From == "" {
		return res, fmt.Errorf("service %s has no L2 address with an owner (facts: %+v)", service, facts)
	}
	from := res[0].From
	macs, err := lab.NodeMACs(ctx)
	if err != nil {
		return res, err
	}
	svc, _ := lab.Topology().Service(service)
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return res, err
	}
	var short string
	for _, n := range nodes {
		if n.Name == from {
			short = n.Short()
		}
	}
	fault := harness.Fault{Kind: harness.FaultStop, Target: short}
	e, err := lab.Exec(neighbor)
	if err != nil {
		return res, err
	}

	// The neighbor listens for announcements of each address through the
	// whole takeover.
	listenFor := 3*timeout + 30*time.Second // a bound; the stop file ends it
	type listener struct {
		ready, stop string
		out         []byte
		err         error
	}
	ls := make([]listener, len(res))
	var listening sync.WaitGroup
	for i := range res {
		l := &ls[i]
		l.ready = fmt.Sprintf("/tmp/peerlab-garp-%d-%d.ready", time.Now().UnixNano(), i)
		l.stop = strings.TrimSuffix(l.ready, ".ready") + ".stop"
		listening.Go(func() {
			var stderr []byte
			l.out, stderr, l.err = e.Exec(context.WithoutCancel(ctx), harness.L2ListenCommand(nb.addr(res[i].IP), res[i].IP, listenFor, l.ready, l.stop))
			if l.err != nil {
				l.err = fmt.Errorf("%s listener in %s: %w: %s", res[i].Protocol, neighbor, l.err, strings.TrimSpace(string(stderr)))
			}
		})
	}
	stopListening := func() error {
		var errs []error
		// By index: the listeners write their own out and err until Wait.
		for i := range ls {
			_, _, _ = e.Exec(context.WithoutCancel(ctx), []string{"touch", ls[i].stop})
		}
		listening.Wait()
		for _, l := range ls {
			errs = append(errs, l.err)
		}
		return errors.Join(errs...)
	}
	// The fault comes once the listeners listen: nothing the new owner
	// sends can be missed.
	err = wait.Until(ctx, 10*time.Second, 100*time.Millisecond, func(ctx context.Context) error {
		for i := range ls {
			if _, _, err := e.Exec(ctx, []string{"test", "-e", ls[i].ready}); err != nil {
				return fmt.Errorf("%s: %w", ls[i].ready, err)
			}
		}
		return nil
	})
	if err != nil {
		return res, errors.Join(fmt.Errorf("the listeners in %s never started: %w", neighbor, err), stopListening())
	}

	start, err := lab.Inject(ctx, fault)
	if err != nil {
		// Inject may have stopped the node before it failed.
		_, uerr := lab.Undo(context.WithoutCancel(ctx), fault)
		return res, errors.Join(err, stopListening(), uerr)
	}
	ms := func() float64 { return float64(time.Since(start).Microseconds()) / 1000 }

	// Each address is followed on its own, all at once.
	errs := make([]error, len(res))
	var following sync.WaitGroup
	for i := range res {
		following.Go(func() {
			errs[i] = followTakeover(ctx, lab, &res[i], nb.name, nb.addr(res[i].IP), macs, svc.Port, timeout, ms)
		})
	}
	following.Wait()
	err = errors.Join(errs...)
	for _, r := range res[1:] {
		if err == nil && r.To != res[0].To {
			err = fmt.Errorf("service %s: after the takeover %s answers for %s, %s for %s; MetalLB elects one node per service", service, res[0].To, res[0].IP, r.To, r.IP)
		}
	}
	if err == nil {
		err = wait.Until(ctx, timeout, 500*time.Millisecond, func(ctx context.Context) error {
			owners, err := lab.L2Owners(ctx)
			if err != nil {
				return err
			}
			if owners[service] != res[0].To {
				return fmt.Errorf("ServiceL2Status of %s names %q, want %s, which answers for %s", service, owners[service], res[0].To, res[0].IP)
			}
			now := ms()
			for i := range res {
				res[i].StatusMs = now
			}
			return nil
		})
	}
	err = errors.Join(err, stopListening())
	for i, l := range ls {
		for _, line := range strings.Split(strings.TrimSpace(string(l.out)), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == macs[res[i].To] && f[1] == "1" {
				res[i].Gratuitous++
			}
		}
	}
	_, uerr := lab.Undo(context.WithoutCancel(ctx), fault)
	return res, errors.Join(err, uerr)
}

// followTakeover waits, for one address, until another node than the
// stopped owner answers the neighbor (src is its address in the address's
// family), then until curl from the neighbor is answered, stamping both.
func followTakeover(ctx context.Context, lab *harness.Lab, r *L2Takeover, neighbor string, src netip.Addr, macs map[string]string, port int, timeout time.Duration, ms func() float64) error {
	var newMAC string
	err := wait.Until(ctx, timeout, 200*time.Millisecond, func(ctx context.Context) error {
		// Stamped when the probe is sent: it then listens a whole second
		// for every answer.
		sent := ms()
		got, err := lab.L2Answers(ctx, neighbor, src, r.IP)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0] == macs[r.From] {
			return fmt.Errorf("%s answers for %s: %v (the stopped owner %s is %s)", r.Protocol, r.IP, got, r.From, macs[r.From])
		}
		newMAC = got[0]
		r.AnswerMs = sent
		return nil
	})
	if err != nil {
		return fmt.Errorf("no other node answered %s for %s within %s: %w", r.Protocol, r.IP, timeout, err)
	}
	for n, m := range macs {
		if m == newMAC {
			r.To = n
		}
	}
	if r.To == "" {
		return fmt.Errorf("%s for %s answered by %s, which is no node's MAC (%v)", r.Protocol, r.IP, newMAC, macs)
	}
	err = wait.Until(ctx, timeout, 200*time.Millisecond, func(ctx context.Context) error {
		s, err := Curl(ctx, lab, neighbor, r.IP, port, 1)
		if err != nil {
			return err
		}
		if s.OK != 1 {
			return fmt.Errorf("curl from %s to %s: %s %v", neighbor, r.IP, s, s.Failures)
		}
		r.CurlMs = ms()
		return nil
	})
	if err != nil {
		return fmt.Errorf("curl to %s after the takeover: %w", r.IP, err)
	}
	return nil
}
