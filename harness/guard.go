package harness

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// egressGuard drops and counts packets that enter from one of the lab's
// bridges and would leave by any other interface, in IPv4 and IPv6. Lab
// traffic must stay between the lab's own containers; the count is the
// number of packets that tried to leave, and a non-zero count is a bug.
//
// It is one chain per lab (PEERLAB-<id>), jumped to first from Docker's
// DOCKER-USER chain (Docker keeps that jump at the top of FORWARD) or from
// FORWARD itself where Docker manages no chain (ip6tables on Docker 20.10).
type egressGuard struct {
	chain   string
	bridges []string
}

type ipt struct {
	bin  string
	hook string // chain the guard is jumped to from
}

func newEgressGuard(labID string, bridges []string) *egressGuard {
	return &egressGuard{chain: "PEERLAB-" + strings.ToUpper(labID), bridges: bridges}
}

func runIPT(ctx context.Context, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, append([]string{"-w", "5"}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (g *egressGuard) tables(ctx context.Context) []ipt {
	v4 := ipt{bin: "iptables", hook: "FORWARD"}
	if _, err := runIPT(ctx, "iptables", "-n", "-L", "DOCKER-USER"); err == nil {
		v4.hook = "DOCKER-USER"
	}
	return []ipt{v4, {bin: "ip6tables", hook: "FORWARD"}}
}

// install creates the chain and its jump. It runs before the lab's
// networks exist: rules on bridge names that do not exist yet simply wait.
func (g *egressGuard) install(ctx context.Context) error {
	for _, t := range g.tables(ctx) {
		if _, err := exec.LookPath(t.bin); err != nil {
			return fmt.Errorf("egress guard needs %s: apt-get install iptables (scripts/host-setup.sh does)", t.bin)
		}
		if _, err := runIPT(ctx, t.bin, "-N", g.chain); err != nil && !strings.Contains(err.Error(), "exists") {
			return fmt.Errorf("egress guard: %w", err)
		}
		for _, br := range g.bridges {
			match := []string{g.chain, "-i", br, "!", "-o", br, "-m", "comment", "--comment", "peerlab egress guard"}
			// The LOG rule (rate-limited) names what tried to leave in the
			// kernel log, where Dump finds it; the DROP rule counts it.
			rules := [][]string{
				append(append([]string{}, match...), "-m", "limit", "--limit", "20/min", "-j", "LOG", "--log-prefix", g.logPrefix()),
				append(append([]string{}, match...), "-j", "DROP"),
			}
			for _, rule := range rules {
				if _, err := runIPT(ctx, t.bin, append([]string{"-C"}, rule...)...); err != nil {
					if _, err := runIPT(ctx, t.bin, append([]string{"-A"}, rule...)...); err != nil {
						return fmt.Errorf("egress guard: %w", err)
					}
				}
			}
		}
		if _, err := runIPT(ctx, t.bin, "-C", t.hook, "-j", g.chain); err != nil {
			if _, err := runIPT(ctx, t.bin, "-I", t.hook, "1", "-j", g.chain); err != nil {
				return fmt.Errorf("egress guard: %w", err)
			}
		}
	}
	return nil
}

// logPrefix marks the guard's kernel log lines (at most 29 characters).
func (g *egressGuard) logPrefix() string { return g.chain + " leak: " }

// leaks returns the kernel log lines the guard wrote: what tried to leave.
func (g *egressGuard) leaks(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "dmesg").Output()
	if err != nil {
		return fmt.Sprintf("(kernel log unreadable: %v)", err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, g.logPrefix()) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// dropped returns how many packets the guard dropped so far, per family.
func (g *egressGuard) dropped(ctx context.Context) (v4, v6 uint64, err error) {
	for i, t := range g.tables(ctx) {
		out, err := runIPT(ctx, t.bin, "-n", "-v", "-x", "-L", g.chain)
		if err != nil {
			return 0, 0, err
		}
		var sum uint64
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) > 2 && f[2] == "DROP" {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				sum += n
			}
		}
		if i == 0 {
			v4 = sum
		} else {
			v6 = sum
		}
	}
	return v4, v6, nil
}

// remove deletes the jump and the chain; missing pieces are not errors, so
// remove also serves as a sweep.
func (g *egressGuard) remove(ctx context.Context) error {
	var errs []string
	for _, t := range g.tables(ctx) {
		for _, hook := range []string{"DOCKER-USER", "FORWARD"} {
			for {
				if _, err := runIPT(ctx, t.bin, "-D", hook, "-j", g.chain); err != nil {
					break
				}
			}
		}
		if _, err := runIPT(ctx, t.bin, "-n", "-L", g.chain); err != nil {
			continue
		}
		if _, err := runIPT(ctx, t.bin, "-F", g.chain); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := runIPT(ctx, t.bin, "-X", g.chain); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove egress guard: %s", strings.Join(errs, "; "))
	}
	return nil
}

// guardChainIDs lists the lab ids of guard chains present in iptables or
// ip6tables, so a sweep finds the guard of a lab whose process died
// before it made anything else (or after it removed everything else).
func guardChainIDs(ctx context.Context) []string {
	var ids []string
	for _, bin := range []string{"iptables", "ip6tables"} {
		out, err := runIPT(ctx, bin, "-S")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			name, ok := strings.CutPrefix(line, "-N PEERLAB-")
			if ok && len(name) == 6 && strings.Trim(name, "0123456789ABCDEF") == "" {
				ids = append(ids, strings.ToLower(name))
			}
		}
	}
	return ids
}
