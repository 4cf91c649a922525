// Command peerlab-runc is an OCI runtime wrapper for hosts whose capability
// bounding set is smaller than the full set (some VMs drop CAP_SYS_RESOURCE).
// Docker's --privileged asks for every capability it knows; runc then fails
// with "unable to apply caps: operation not permitted". The wrapper removes
// the capabilities the host cannot grant from the container spec (create/run)
// and from the process spec (exec), then hands over to the real runc with the
// same arguments. Nothing else is changed.
//
// Run as "peerlab-runc probe" it prints "ok" and exits 0: host setup uses the
// binary as the payload of its --privileged probe container.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// realRuncCandidates are tried in order; the first executable wins.
var realRuncCandidates = []string{"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"}

// capNames maps capability numbers to the names used in OCI specs.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		fmt.Println("ok")
		return
	}
	if err := filterSpecs(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "peerlab-runc: %v\n", err)
		os.Exit(1)
	}
	real, err := findRealRunc()
	if err != nil {
		fmt.Fprintf(os.Stderr, "peerlab-runc: %v\n", err)
		os.Exit(1)
	}
	args := append([]string{"runc"}, os.Args[1:]...)
	if err := syscall.Exec(real, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "peerlab-runc: exec %s: %v\n", real, err)
		os.Exit(1)
	}
}

func findRealRunc() (string, error) {
	self, _ := os.Executable()
	for _, c := range realRuncCandidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode()&0o111 != 0 {
			if r, _ := filepath.EvalSymlinks(c); r != "" && r == self {
				continue
			}
			return c, nil
		}
	}
	return "", fmt.Errorf("no runc found in %v", realRuncCandidates)
}

// filterSpecs finds the spec files the runc command line names and filters
// them in place. Global flags come before the subcommand.
func filterSpecs(args []string) error {
	sub, rest := subcommand(args)
	switch sub {
	case "create", "run":
		bundle := flagValue(rest, "bundle", "b")
		if bundle == "" {
			bundle = "."
		}
		return filterFile(filepath.Join(bundle, "config.json"), true)
	case "exec":
		if p := flagValue(rest, "process", "p"); p != "" {
			return filterFile(p, false)
		}
	}
	return nil
}

// globalWithValue lists runc's global flags that take a separate value.
var globalWithValue = map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}

func subcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if globalWithValue[a] {
				i++
			}
			continue
		}
		return a, args[i+1:]
	}
	return "", nil
}

func flagValue(args []string, long, short string) string {
	for i, a := range args {
		for _, name := range []string{"--" + long, "-" + long, "-" + short} {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if strings.HasPrefix(a, name+"=") {
				return strings.TrimPrefix(a, name+"=")
			}
		}
	}
	return ""
}

func filterFile(path string, isConfig bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	allowed, err := boundingSet()
	if err != nil {
		return err
	}
	proc := doc
	if isConfig {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		proc = p
	}
	caps, ok := proc["capabilities"].(map[string]any)
	if !ok {
		return nil
	}
	changed := false
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := list[:0:0]
		for _, c := range list {
			if name, ok := c.(string); ok && !allowed[name] {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// boundingSet returns the names of the capabilities in this process's
// bounding set, read from /proc/self/status.
func boundingSet() (map[string]bool, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, "CapBnd:") {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "CapBnd:")), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("parse CapBnd: %w", err)
		}
		set := map[string]bool{}
		for i, name := range capNames {
			if mask&(1<<uint(i)) != 0 {
				set[name] = true
			}
		}
		return set, nil
	}
	return nil, fmt.Errorf("no CapBnd line in /proc/self/status")
}
