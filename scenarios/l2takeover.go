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
)

// L2Takeover is how an L2 service IP moved when its node went away.
type L2Takeover struct {
	Service string     `json:"service"`
	IP      netip.Addr `json:"ip"`
	// From and To are the owners before and after (Kubernetes node names).
	From string `json:"from"`
	To   string `json:"to"`
	// ARPMs is from the fault until a neighbor sent the ARP request that
	// got exactly one answer, from another node (probes go every 200 ms
	// after the last one's second of listening); CurlMs until a request from the
	// neighbor got its answer; StatusMs until MetalLB's ServiceL2Status
	// named the new node.
	ARPMs    float64 `json:"arpMs"`
	CurlMs   float64 `json:"curlMs"`
	StatusMs float64 `json:"statusMs"`
	// Gratuitous counts the gratuitous ARP packets for the address the
	// neighbor saw from the new owner (unasked: a request for the address
	// itself, or a reply to everyone).
	Gratuitous int `json:"gratuitous"`
}

func (t L2Takeover) String() string {
	return fmt.Sprintf("service %s (%s): %s -> %s; ARP answered by the new node after %.0f ms, curl after %.0f ms, ServiceL2Status after %.0f ms; %d gratuitous ARP from it",
		t.Service, t.IP, t.From, t.To, t.ARPMs, t.CurlMs, t.StatusMs, t.Gratuitous)
}

// MeasureL2Takeover stops the node that answers for the service's L2
// address, measures (from the neighbor on the nodes' network) how long
// until another node answers ARP, curl works and MetalLB's status follows,
// and counts the new owner's gratuitous ARP; then it starts the node again.
// The caller proves the lab green afterwards.
func MeasureL2Takeover(ctx context.Context, lab *harness.Lab, service, neighbor string, timeout time.Duration) (L2Takeover, error) {
	res := L2Takeover{Service: service}
	var nb *l2Neighbor
	for _, n := range l2Neighbors(lab.Topology()) {
		if n.name == neighbor {
			nb = &n
		}
	}
	if nb == nil {
		return res, fmt.Errorf("%s is not a router or client on the nodes' network", neighbor)
	}
	facts, err := L2Facts(ctx, lab)
	if err != nil {
		return res, err
	}
	for _, f := range facts {
		if f.Service == service {
			res.IP, res.From = f.IP, f.Owner
		}
	}
	if !res.IP.IsValid() || res.From == "" {
		return res, fmt.Errorf("service %s has no L2 address with an owner (facts: %+v)", service, facts)
	}
	macs, err := lab.NodeMACs(ctx)
	if err != nil {
		return res, err
	}
	svc, _ := lab.Topology().Service(service)
	port := svc.Port
	nodes, err := lab.Nodes(ctx)
	if err != nil {
		return res, err
	}
	var short string
	for _, n := range nodes {
		if n.Name == res.From {
			short = n.Short()
		}
	}
	fault := harness.Fault{Kind: harness.FaultStop, Target: short}

	// The neighbor listens for ARP about the address through the whole
	// takeover.
	e, err := lab.Exec(neighbor)
	if err != nil {
		return res, err
	}
	listenFor := 3*timeout + 30*time.Second // a bound; the stop file ends it
	ready := fmt.Sprintf("/tmp/peerlab-garp-%d.ready", time.Now().UnixNano())
	stop := strings.TrimSuffix(ready, ".ready") + ".stop"
	var (
		listenOut []byte
		listenErr error
		listening sync.WaitGroup
	)
	listening.Go(func() {
		var stderr []byte
		listenOut, stderr, listenErr = e.Exec(context.WithoutCancel(ctx), harness.ARPListenCommand(nb.addr, res.IP, listenFor, ready, stop))
		if listenErr != nil {
			listenErr = fmt.Errorf("ARP listener in %s: %w: %s", neighbor, listenErr, strings.TrimSpace(string(stderr)))
		}
	})
	stopListening := func() {
		_, _, _ = e.Exec(context.WithoutCancel(ctx), []string{"touch", stop})
		listening.Wait()
	}
	// The fault comes once the listener listens: nothing the new owner
	// sends can be missed.
	err = wait.Until(ctx, 10*time.Second, 100*time.Millisecond, func(ctx context.Context) error {
		_, _, err := e.Exec(ctx, []string{"test", "-e", ready})
		return err
	})
	if err != nil {
		stopListening()
		return res, errors.Join(fmt.Errorf("the ARP listener in %s never started: %w", neighbor, err), listenErr)
	}

	start, err := lab.Inject(ctx, fault)
	if err != nil {
		stopListening()
		return res, err
	}
	undo := func() error {
		_, err := lab.Undo(context.WithoutCancel(ctx), fault)
		return err
	}
	ms := func() float64 { return float64(time.Since(start).Microseconds()) / 1000 }
	var newMAC string
	err = wait.Until(ctx, timeout, 200*time.Millisecond, func(ctx context.Context) error {
		// Stamped when the probe is sent: it then listens a whole second
		// for every answer.
		sent := ms()
		got, err := lab.ARPAnswers(ctx, neighbor, nb.addr, res.IP)
		if err != nil {
			return err
		}
		if len(got) != 1 || got[0] == macs[res.From] {
			return fmt.Errorf("ARP answers for %s: %v (the stopped owner %s is %s)", res.IP, got, res.From, macs[res.From])
		}
		newMAC = got[0]
		res.ARPMs = sent
		return nil
	})
	if err != nil {
		stopListening()
		return res, errors.Join(fmt.Errorf("no other node answered for %s within %s: %w", res.IP, timeout, err), undo())
	}
	for n, m := range macs {
		if m == newMAC {
			res.To = n
		}
	}
	err = wait.Until(ctx, timeout, 200*time.Millisecond, func(ctx context.Context) error {
		s, err := Curl(ctx, lab, neighbor, res.IP, port, 1)
		if err != nil {
			return err
		}
		if s.OK != 1 {
			return fmt.Errorf("curl from %s to %s: %s %v", neighbor, res.IP, s, s.Failures)
		}
		res.CurlMs = ms()
		return nil
	})
	if err != nil {
		stopListening()
		return res, errors.Join(fmt.Errorf("curl to %s after the takeover: %w", res.IP, err), undo())
	}
	err = wait.Until(ctx, timeout, 500*time.Millisecond, func(ctx context.Context) error {
		owners, err := lab.L2Owners(ctx)
		if err != nil {
			return err
		}
		if owners[service] != res.To {
			return fmt.Errorf("ServiceL2Status of %s names %q, want %s, which answers ARP", service, owners[service], res.To)
		}
		res.StatusMs = ms()
		return nil
	})
	stopListening()
	if listenErr != nil {
		err = errors.Join(err, listenErr)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(listenOut)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != newMAC {
			continue
		}
		// A request for the address itself (sender and target the same),
		// or a reply nobody here asked for, sent to everyone.
		if (f[0] == "1" && f[2] == res.IP.String()) || (f[0] == "2" && f[3] == "1") {
			res.Gratuitous++
		}
	}
	return res, errors.Join(err, undo())
}
