package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/peerlab/peerlab/harness"
)

// reply is the backend's answer (images/backend).
type reply struct {
	Pod    string `json:"pod"`
	Node   string `json:"node"`
	Client string `json:"client"`
}

// Curl sends n HTTP requests from a lab client to every service IP, each
// on a new connection (a new source port, so L4 ECMP hashing can pick a new
// path), and reports which nodes and pods answered.
func Curl(ctx context.Context, lab *harness.Lab, client string, n int) (Spread, error) {
	e, err := lab.Exec(client)
	if err != nil {
		return Spread{}, err
	}
	ips, err := lab.ServiceIPs(ctx)
	if err != nil {
		return Spread{}, err
	}
	if len(ips) == 0 {
		return Spread{}, fmt.Errorf("the backend service has no LoadBalancer IP")
	}
	s := Spread{ByNode: map[string]int{}, ByPod: map[string]int{}}
	for _, ip := range ips {
		url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(ip, uint16(lab.ServicePort())))
		// One exec for all requests: a loop in the client's shell is much
		// faster than n docker execs, and curl's exit code is kept per line.
		script := fmt.Sprintf(`for i in $(seq %d); do out=$(curl -sS --connect-timeout 2 -m 3 %s 2>&1); echo "$? $out"; done`, n, url)
		stdout, stderr, err := e.Exec(ctx, []string{"sh", "-c", script})
		if err != nil {
			return s, fmt.Errorf("curl loop on %s: %v: %s", client, err, stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(stdout)), "\n") {
			s.Requests++
			code, rest, _ := strings.Cut(line, " ")
			var r reply
			if c, _ := strconv.Atoi(code); c != 0 || json.Unmarshal([]byte(rest), &r) != nil || r.Node == "" {
				if len(s.Failures) < 5 {
					s.Failures = append(s.Failures, fmt.Sprintf("%s: curl exit %s: %s", url, code, rest))
				}
				continue
			}
			s.OK++
			s.ByNode[r.Node]++
			s.ByPod[r.Pod]++
		}
	}
	return s, nil
}

// Reachable: from the client, n requests to each service IP all succeed, and
// when more than one node runs a backend, answers come from more than one
// node. The spread is returned for reporting either way.
func Reachable(ctx context.Context, lab *harness.Lab, client string, n int) (Spread, error) {
	s, err := Curl(ctx, lab, client, n)
	if err != nil {
		return s, err
	}
	if s.OK < s.Requests {
		return s, fmt.Errorf("client %s: %s; failures: %s", client, s, strings.Join(s.Failures, "; "))
	}
	withPods, err := lab.BackendNodes(ctx)
	if err != nil {
		return s, err
	}
	if len(withPods) > 1 && len(s.ByNode) < 2 {
		return s, fmt.Errorf("client %s: %s; want answers from more than one of the %d nodes running a backend", client, s, len(withPods))
	}
	return s, nil
}
