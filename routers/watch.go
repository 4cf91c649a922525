package routers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A Watch samples, from inside a router, how it sees one prefix and its BFD
// peers while something happens (a fault, its repair): the kernel's route
// every 10 ms, and zebra's RIB with bfdd's peers as often as vtysh answers
// (60-100 ms on a busy 2-core host). Sampling in the container, stamped
// with the shared kernel clock, keeps docker exec's latency out of the
// numbers.
type Watch struct {
	ex     Executor
	prefix netip.Prefix
	dir    string
}

// KernelSample is the kernel's route for the watched prefix at one moment.
type KernelSample struct {
	At       time.Time
	Gateways []netip.Addr // none: no route
}

// FRRSample is zebra's RIB entry for the watched prefix and bfdd's peers at
// one moment.
type FRRSample struct {
	At       time.Time
	Gateways []netip.Addr // of the selected route; none: no route
	BFD      []BFDPeer
}

// WatchResult is everything a watch saw, in time order.
type WatchResult struct {
	Kernel []KernelSample
	FRR    []FRRSample
}

const watchDir = "/tmp/peerlab-watch"

// StartWatch starts sampling the router's view of prefix; it stops by
// itself after max.
func StartWatch(ctx context.Context, ex Executor, prefix netip.Prefix, max time.Duration) (*Watch, error) {
	fam, show := "-4", "show ip route "
	if prefix.Addr().Is6() {
		fam, show = "-6", "show ipv6 route "
	}
	p := prefix.Masked().String()
	// Each loop ends on the stop file or at the deadline, so a watch whose
	// caller died does not run for ever.
	// The loops run detached (their output to files, nothing on the
	// exec's pipes, so the exec returns at once) and record their pids.
	script := fmt.Sprintf(`d=%[1]s; rm -rf $d; mkdir -p $d; end=$(( $(date +%%s) + %[2]d ))
( while [ ! -e $d/stop ] && [ $(date +%%s) -lt $end ]; do echo "K $(date +%%s%%N) $(ip %[3]s -j route show exact %[4]s)"; sleep 0.01; done > $d/kernel ) </dev/null 2>/dev/null &
echo $! >> $d/pids
( while [ ! -e $d/stop ] && [ $(date +%%s) -lt $end ]; do echo "F $(date +%%s%%N) $(vtysh -c '%[5]s%[4]s json' -c 'show bfd peers json' | tr -d '\n')"; done > $d/frr ) </dev/null 2>/dev/null &
echo $! >> $d/pids
`, watchDir, int(max.Seconds())+1, fam, p, show)
	if _, stderr, err := ex.Exec(ctx, []string{"sh", "-c", script}); err != nil {
		return nil, fmt.Errorf("start watch: %v: %s", err, stderr)
	}
	return &Watch{ex: ex, prefix: prefix, dir: watchDir}, nil
}

// Stop ends the sampling and returns what it saw.
func (w *Watch) Stop(ctx context.Context) (*WatchResult, error) {
	// The loops see the stop file at their next turn; a vtysh call takes
	// up to a few hundred ms, so wait for both to finish before reading.
	script := fmt.Sprintf(`touch %[1]s/stop; for p in $(cat %[1]s/pids); do i=0; while kill -0 $p 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; done; cat %[1]s/kernel %[1]s/frr; rm -rf %[1]s`, w.dir)
	out, stderr, err := w.ex.Exec(ctx, []string{"sh", "-c", script})
	if err != nil {
		return nil, fmt.Errorf("stop watch: %v: %s", err, stderr)
	}
	return parseWatch(bytes.NewReader(out), w.prefix)
}

// parseWatch reads the sample lines: "K <unix ns> <ip -j route>" and
// "F <unix ns> <show ip route PREFIX json><show bfd peers json>".
func parseWatch(r io.Reader, prefix netip.Prefix) (*WatchResult, error) {
	res := &WatchResult{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		tag, rest, _ := strings.Cut(sc.Text(), " ")
		stamp, body, _ := strings.Cut(rest, " ")
		ns, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("watch line %d: time %q: %w", n, stamp, err)
		}
		at := time.Unix(0, ns)
		switch tag {
		case "K":
			rs, err := parseKernelRoutes([]byte(body))
			if err != nil {
				return nil, fmt.Errorf("watch line %d: %w", n, err)
			}
			s := KernelSample{At: at}
			for _, r := range rs {
				if r.Dst == prefix.Masked() {
					s.Gateways = append(s.Gateways, r.Gateways()...)
				}
			}
			res.Kernel = append(res.Kernel, s)
		case "F":
			// Two JSON documents back to back; a vtysh that failed (FRR
			// restarting) leaves a sample with nothing in it.
			dec := json.NewDecoder(strings.NewReader(body))
			var route, bfd json.RawMessage
			if dec.Decode(&route) != nil || dec.Decode(&bfd) != nil {
				res.FRR = append(res.FRR, FRRSample{At: at})
				continue
			}
			s := FRRSample{At: at}
			rs, err := parseRoutes(route)
			if err != nil {
				return nil, fmt.Errorf("watch line %d: %w", n, err)
			}
			for _, r := range rs {
				if r.Selected && r.Prefix == prefix.Masked() {
					s.Gateways = r.Gateways()
				}
			}
			if s.BFD, err = parseBFDPeers(bfd); err != nil {
				return nil, fmt.Errorf("watch line %d: %w", n, err)
			}
			res.FRR = append(res.FRR, s)
		default:
			return nil, fmt.Errorf("watch line %d: unknown tag %q", n, tag)
		}
	}
	return res, sc.Err()
}
