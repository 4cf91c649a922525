package routers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// dumpCommands are what a post-mortem needs, one file each. Text and JSON
// forms of the same state are both kept: text for people, JSON for tools.
var dumpCommands = []struct {
	file string
	cmd  []string
}{
	{"running-config.txt", []string{"vtysh", "-c", "show running-config"}},
	{"bgp-summary.txt", []string{"vtysh", "-c", "show bgp summary"}},
	{"bgp-neighbors.json", []string{"vtysh", "-c", "show bgp neighbors json"}},
	{"bgp-ipv4.txt", []string{"vtysh", "-c", "show bgp ipv4 unicast"}},
	{"bgp-ipv6.txt", []string{"vtysh", "-c", "show bgp ipv6 unicast"}},
	{"bfd-peers.txt", []string{"vtysh", "-c", "show bfd peers"}},
	{"bfd-peers.json", []string{"vtysh", "-c", "show bfd peers json"}},
	{"rib-ipv4.txt", []string{"vtysh", "-c", "show ip route"}},
	{"rib-ipv6.txt", []string{"vtysh", "-c", "show ipv6 route"}},
	{"rib-ipv4.json", []string{"vtysh", "-c", "show ip route json"}},
	{"rib-ipv6.json", []string{"vtysh", "-c", "show ipv6 route json"}},
	{"ip-addr.txt", []string{"ip", "addr"}},
	{"ip-route.txt", []string{"ip", "-4", "route", "show", "table", "all"}},
	{"ip-6-route.txt", []string{"ip", "-6", "route", "show", "table", "all"}},
	{"ip-route.json", []string{"ip", "-4", "-j", "route"}},
	{"ip-6-route.json", []string{"ip", "-6", "-j", "route"}},
}

// dumpLogLines is how much of the FRR log Dump keeps.
const dumpLogLines = "2000"

// Dump writes a router's state to dir (created if needed), one file per
// command: running config, BGP neighbors and tables, BFD peers, RIB and
// kernel routes, interfaces, and the tail of the FRR log (found through the
// running config's "log file" line). It keeps going past failures, so a
// half-broken router still yields everything that could be read, and
// returns the failures joined.
func Dump(ctx context.Context, exec Executor, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	var errs []error
	var running string
	for _, c := range dumpCommands {
		stdout, stderr, err := exec.Exec(ctx, c.cmd)
		if c.file == "running-config.txt" && err == nil {
			running = string(stdout)
		}
		content := stdout
		if len(stderr) > 0 {
			content = append(append(content, "\n--- stderr ---\n"...), stderr...)
		}
		if err != nil {
			content = append(content, fmt.Sprintf("\n--- error ---\n%v\n", err)...)
			errs = append(errs, fmt.Errorf("dump %s: %w", c.file, err))
		}
		if err := os.WriteFile(filepath.Join(dir, c.file), content, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("dump: %w", err))
		}
	}

	logFile := logFileFrom(running)
	if logFile == "" {
		// FRR logs to stdout (a MetalLB speaker's does): the log is the
		// container's own, which the cluster dump collects.
		note := []byte("FRR logs to stdout here (no \"log file\" in the running config); see the container's log.\n")
		if err := os.WriteFile(filepath.Join(dir, "frr.log"), note, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("dump: %w", err))
		}
		return errors.Join(errs...)
	}
	stdout, stderr, err := exec.Exec(ctx, []string{"tail", "-n", dumpLogLines, logFile})
	if err != nil {
		stdout = append(stdout, fmt.Sprintf("\n--- error reading %s ---\n%v\n%s", logFile, err, stderr)...)
		errs = append(errs, fmt.Errorf("dump frr.log: %w", err))
	}
	if err := os.WriteFile(filepath.Join(dir, "frr.log"), stdout, 0o644); err != nil {
		errs = append(errs, fmt.Errorf("dump: %w", err))
	}
	return errors.Join(errs...)
}

// logFileFrom finds the log file in a running configuration: "" when FRR
// logs to stdout only (MetalLB's speakers), DefaultLogFile when the running
// configuration could not be read. The path is read rather than assumed.
func logFileFrom(running string) string {
	if running == "" {
		return DefaultLogFile
	}
	sc := bufio.NewScanner(strings.NewReader(running))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && fields[0] == "log" && fields[1] == "file" {
			return fields[2]
		}
	}
	return ""
}
