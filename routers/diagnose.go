package routers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Cause is why a BGP session is not Established, as an engineer at the
// router would name it.
type Cause string

const (
	CauseEstablished  Cause = "established"
	CauseBadPeerAS    Cause = "wrong ASN"
	CauseMD5          Cause = "MD5 mismatch"
	CauseNoRoute      Cause = "no route to the peer"
	CauseNoAnswer     Cause = "the peer does not answer"
	CauseHoldTimer    Cause = "hold timer expired"
	CauseBFDDown      Cause = "BFD down"
	CauseOpenRefused  Cause = "OPEN refused"
	CauseNotification Cause = "NOTIFICATION"
	CauseNotConnected Cause = "not connected"
	CauseHandshake    Cause = "in the OPEN exchange"
	CauseAdminDown    Cause = "shut down"
)

// Diagnosis explains one session from this end.
type Diagnosis struct {
	Neighbor netip.Addr
	State    BGPState
	Cause    Cause
	// Explain says what the state and the evidence mean, in one or two
	// sentences naming the evidence (FRR's fields, kernel counters).
	Explain string
}

func (d Diagnosis) String() string {
	return fmt.Sprintf("%s: %s (%s): %s", d.Neighbor, d.Cause, d.State, d.Explain)
}

// TCPMD5Counters are the kernel's TCP MD5 signature counters of one network
// namespace (TcpExt in /proc/net/netstat): segments dropped because the
// signature was missing (NotFound), unexpected (Unexpected) or wrong
// (Failure). A password mismatch makes BGP send no NOTIFICATION at all: the
// TCP handshake never completes, and only these counters grow.
type TCPMD5Counters struct {
	NotFound, Unexpected, Failure uint64
}

// Total is the sum of the three counters.
func (c TCPMD5Counters) Total() uint64 { return c.NotFound + c.Unexpected + c.Failure }

// TCPMD5 reads the MD5 counters of the router's network namespace.
func (q *Querier) TCPMD5(ctx context.Context) (TCPMD5Counters, error) {
	out, stderr, err := q.exec.Exec(ctx, []string{"cat", "/proc/net/netstat"})
	if err != nil {
		return TCPMD5Counters{}, fmt.Errorf("read /proc/net/netstat: %v: %s", err, stderr)
	}
	return parseMD5Counters(out)
}

// parseMD5Counters reads the TcpExt header and value lines.
func parseMD5Counters(b []byte) (TCPMD5Counters, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	var header []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "TcpExt:" {
			continue
		}
		if header == nil {
			header = f
			continue
		}
		var c TCPMD5Counters
		for i := 1; i < len(f) && i < len(header); i++ {
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				continue
			}
			switch header[i] {
			case "TCPMD5NotFound":
				c.NotFound = v
			case "TCPMD5Unexpected":
				c.Unexpected = v
			case "TCPMD5Failure":
				c.Failure = v
			}
		}
		return c, nil
	}
	return TCPMD5Counters{}, fmt.Errorf("/proc/net/netstat has no TcpExt lines")
}

// Reachability is what the kernel knows of the path to an address.
type Reachability struct {
	// Route is `ip route get` for the address; empty when there is none
	// (NoRoute says why).
	Route   string
	NoRoute string
	// Neighbor is the ARP/ND state of the next hop ("REACHABLE", "FAILED",
	// "INCOMPLETE", ... or empty if the kernel has no entry).
	Neighbor string
}

// Reach asks the kernel how it would reach addr.
func (q *Querier) Reach(ctx context.Context, addr netip.Addr) (Reachability, error) {
	var r Reachability
	out, stderr, err := q.exec.Exec(ctx, []string{"ip", "route", "get", addr.String()})
	if err != nil {
		r.NoRoute = strings.TrimSpace(string(stderr))
		if r.NoRoute == "" {
			r.NoRoute = err.Error()
		}
		return r, nil
	}
	r.Route = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	nextHop := addr
	if f := strings.Fields(r.Route); len(f) > 0 {
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "via" {
				if a, err := netip.ParseAddr(f[i+1]); err == nil {
					nextHop = a
				}
			}
		}
		if f[0] == "unreachable" || f[0] == "prohibit" || f[0] == "blackhole" {
			r.NoRoute, r.Route = r.Route, ""
			return r, nil
		}
	}
	out, _, err = q.exec.Exec(ctx, []string{"ip", "neigh", "show", nextHop.String()})
	if err == nil {
		if f := strings.Fields(string(out)); len(f) > 0 {
			r.Neighbor = f[len(f)-1]
		}
	}
	return r, nil
}

// md5Window is how long Diagnose watches the MD5 counters of a session
// that never connects: routers retry every second (timers connect 1), so a
// mismatch shows within it.
const md5Window = 2500 * time.Millisecond

// Diagnose explains every session of this router (or speaker) with the
// given addresses that is not Established (none: every session).
func (q *Querier) Diagnose(ctx context.Context, addrs ...netip.Addr) ([]Diagnosis, error) {
	ns, err := q.Neighbors(ctx)
	if err != nil {
		return nil, err
	}
	if len(addrs) > 0 {
		if ns, err = selectNeighbors(ns, addrs); err != nil {
			return nil, err
		}
	}
	var out []Diagnosis
	var stuck []int // sessions with no TCP: the MD5 counters may tell why
	for _, n := range ns {
		if n.State == BGPEstablished {
			continue
		}
		reach, err := q.Reach(ctx, n.Address)
		if err != nil {
			return nil, err
		}
		d := diagnose(n, reach)
		if d.Cause == CauseNotConnected {
			stuck = append(stuck, len(out))
		}
		out = append(out, d)
	}
	if len(stuck) > 0 {
		before, err := q.TCPMD5(ctx)
		if err != nil {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(md5Window):
		}
		after, err := q.TCPMD5(ctx)
		if err != nil {
			return out, err
		}
		// A peer whose OPEN is refused here leaves no trace in the
		// neighbor's JSON (FRR checks it on the incoming connection), only
		// in the log.
		refused := q.refusedOpens(ctx, refusedWindow)
		for _, i := range stuck {
			switch {
			case after.Total() > before.Total():
				out[i] = md5Diagnosis(out[i], before, after, ns)
			case refused[out[i].Neighbor] > 0:
				out[i] = openRefusedDiagnosis(out[i], refused[out[i].Neighbor], ns)
			}
		}
	}
	return out, nil
}

// refusedLogLines is how much of the router's log refusedOpens reads, and
// refusedWindow how recent a refusal must be to count.
const (
	refusedLogLines = "300"
	refusedWindow   = 10 * time.Second
)

// refusedOpens counts, per peer, FRR's "BGP OPEN receipt failed" lines of
// the last window in the router's log file (none when FRR logs to stdout,
// as a speaker's does).
func (q *Querier) refusedOpens(ctx context.Context, window time.Duration) map[netip.Addr]int {
	running, err := q.vtysh(ctx, "show running-config")
	if err != nil {
		return nil
	}
	file := logFileFrom(string(running))
	if file == "" {
		return nil
	}
	// The log's times are the container's local time, as is date's.
	out, _, err := q.exec.Exec(ctx, []string{"sh", "-c", "date '+%Y/%m/%d %H:%M:%S'; tail -n " + refusedLogLines + " " + file})
	if err != nil {
		return nil
	}
	now, log, _ := strings.Cut(string(out), "\n")
	t, err := time.Parse(frrLogTime, strings.TrimSpace(now))
	if err != nil {
		return nil
	}
	return parseRefusedOpens([]byte(log), t.Add(-window))
}

// frrLogTime is how FRR's log stamps its lines (milliseconds follow).
const frrLogTime = "2006/01/02 15:04:05"

// parseRefusedOpens reads lines such as "2026/12/01 03:38:30.080 BGP: ...
// bgp_process_packet: BGP OPEN receipt failed for peer:
// 172.30.0.129(Incoming)" stamped at since or later.
func parseRefusedOpens(log []byte, since time.Time) map[netip.Addr]int {
	out := map[netip.Addr]int{}
	const marker = "BGP OPEN receipt failed for peer: "
	for _, line := range strings.Split(string(log), "\n") {
		_, rest, ok := strings.Cut(line, marker)
		if !ok || len(line) < len(frrLogTime) {
			continue
		}
		at, err := time.Parse(frrLogTime, line[:len(frrLogTime)])
		if err != nil || at.Before(since.Truncate(time.Second)) {
			continue
		}
		addr, _, _ := strings.Cut(rest, "(")
		if a, err := netip.ParseAddr(strings.TrimSpace(addr)); err == nil {
			out[a]++
		}
	}
	return out
}

func openRefusedDiagnosis(d Diagnosis, count int, ns []BGPNeighbor) Diagnosis {
	for _, n := range ns {
		if n.Address == d.Neighbor {
			d.Cause = CauseOpenRefused
			d.Explain = fmt.Sprintf("the peer connects, but its OPEN is refused here (FRR's log: \"BGP OPEN receipt failed\" %d times lately); this end is configured with remote-as %d and local AS %d: a peer announcing another AS is refused with Bad Peer AS (the peer's own diagnosis names it)",
				count, n.RemoteASN, n.LocalASN)
		}
	}
	return d
}

func md5Diagnosis(d Diagnosis, before, after TCPMD5Counters, ns []BGPNeighbor) Diagnosis {
	pw := "no password is configured here"
	for _, n := range ns {
		if n.Address == d.Neighbor && n.PasswordConfigured {
			pw = "a password is configured here"
		}
	}
	d.Cause = CauseMD5
	d.Explain = fmt.Sprintf("no TCP session comes up and the kernel dropped segments for their MD5 signature in %s (missing %d, unexpected %d, wrong %d); %s: the two ends' passwords differ (BGP sends no NOTIFICATION for this)",
		md5Window, after.NotFound-before.NotFound, after.Unexpected-before.Unexpected, after.Failure-before.Failure, pw)
	return d
}

// diagnose reads one neighbor's FRR fields and the kernel's path to it.
func diagnose(n BGPNeighbor, reach Reachability) Diagnosis {
	d := Diagnosis{Neighbor: n.Address, State: n.State}
	notif := n.LastNotification
	last := ""
	if n.LastReset != "" {
		last = fmt.Sprintf(" (last reset %s ago: %s)", n.LastResetAgo.Round(time.Second), n.LastReset)
	}
	switch {
	case n.State == BGPEstablished:
		d.Cause, d.Explain = CauseEstablished, "the session is up"
	case strings.Contains(notif, "Bad Peer AS") || notif == "0202":
		d.Cause = CauseBadPeerAS
		d.Explain = fmt.Sprintf("the OPEN carried an AS this end does not expect: here the neighbor is configured with remote-as %d and local AS %d; the other end must be configured with AS %d for this end and announce AS %d itself (last NOTIFICATION: %s)",
			n.RemoteASN, n.LocalASN, n.LocalASN, n.RemoteASN, notif)
	case strings.Contains(notif, "Hold Timer Expired") || notif == "0400":
		d.Cause = CauseHoldTimer
		d.Explain = fmt.Sprintf("no KEEPALIVE or UPDATE arrived within the hold time (%s): the path drops BGP packets or the peer stalled (last NOTIFICATION: %s)", n.HoldTime, notif)
	case n.BFD != nil && strings.EqualFold(n.BFD.Status, "down") && strings.Contains(strings.ToLower(n.LastReset), "bfd"):
		d.Cause = CauseBFDDown
		d.Explain = "BFD declared the peer down and took the session with it" + last
	case strings.HasPrefix(notif, "OPEN Message Error"):
		d.Cause = CauseOpenRefused
		d.Explain = "an OPEN was refused: " + notif + last
	case reach.NoRoute != "":
		d.Cause = CauseNoRoute
		d.Explain = fmt.Sprintf("the kernel has no route to %s (%s)", n.Address, reach.NoRoute)
	case reach.Neighbor == "FAILED" || reach.Neighbor == "INCOMPLETE":
		d.Cause = CauseNoAnswer
		d.Explain = fmt.Sprintf("the route is %q but the next hop does not answer ARP/ND (%s): nothing is at that address, or its link is down", reach.Route, reach.Neighbor)
	case n.State == BGPConnect || n.State == BGPActive || n.State == BGPIdle && notif == "":
		d.Cause = CauseNotConnected
		d.Explain = fmt.Sprintf("%s: no TCP session to %s:179 (the peer does not listen or refuses us, or a filter drops it)%s", stateMeaning(n.State), n.Address, last)
	case notif != "":
		d.Cause = CauseNotification
		d.Explain = "last NOTIFICATION: " + notif + last
	case n.State == BGPOpenSent || n.State == BGPOpenConfirm:
		d.Cause = CauseHandshake
		d.Explain = stateMeaning(n.State) + last
	default:
		d.Cause = CauseAdminDown
		d.Explain = stateMeaning(n.State) + last
	}
	return d
}

func stateMeaning(s BGPState) string {
	switch s {
	case BGPIdle:
		return "Idle: not trying to connect (shut down, or waiting before a retry after an error)"
	case BGPConnect:
		return "Connect: waiting for its TCP connection to complete"
	case BGPActive:
		return "Active: listening for the peer, its own connection attempt failed"
	case BGPOpenSent:
		return "OpenSent: TCP is up, waiting for the peer's OPEN"
	case BGPOpenConfirm:
		return "OpenConfirm: OPENs exchanged, waiting for the first KEEPALIVE"
	default:
		return string(s)
	}
}
