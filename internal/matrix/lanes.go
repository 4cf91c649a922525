// Package matrix is the test matrix as data, and the runner that runs its
// lanes on this machine one after another. The CI workflow asks the same
// list for its jobs (`peerlab matrix --list -o github`) and runs each with
// the same command (`peerlab matrix --lane NAME`), so the nightly matrix and
// a local run cannot drift apart.
package matrix

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Lane is one cell of the matrix: what it runs and what it covers.
type Lane struct {
	Name string `json:"name"`
	// Family, Backend and Topology say which part of the matrix the lane
	// covers ("-" where it does not apply, as for unit tests).
	Family   string `json:"family"`
	Backend  string `json:"backend"`
	Topology string `json:"topology"`
	// Kubernetes is the version the lane's clusters run.
	Kubernetes string `json:"kubernetes"`
	// Packages and Run select the Go tests (Run is go test's -run; empty
	// runs every test of the packages).
	Packages []string `json:"packages"`
	Run      string   `json:"run,omitempty"`
	// Timeout is go test's -timeout for the lane.
	Timeout time.Duration `json:"timeout"`
	// Covers says, for people, what a green lane proves.
	Covers string `json:"covers"`
	// Env is set for the lane's go test (PEERLAB_FAMILY picks the family
	// of the e2e labs, PEERLAB_BACKEND their MetalLB backend).
	Env map[string]string `json:"env,omitempty"`
	// Default lanes form the default set (`peerlab matrix` with no lanes,
	// and so .ci/run): each capability once, within the CI budget. The
	// rest run with --all and in the nightly workflow.
	Default bool `json:"default,omitempty"`
	// Pending, when set, says why the lane cannot run yet (it is listed so
	// the matrix shows its whole shape; the runner and CI skip it).
	Pending string `json:"pending,omitempty"`
}

// CoreScenarios are the catalog scenarios of the default set: one of each
// kind of change (pool, advertisement, peer, BFD, random), each cheap. The
// rest of the catalog is mostly MetalLB's address allocation, which waits on
// new services' pods (40-100 s a scenario on two cores), and runs nightly.
// Two run nightly only, since ipv4-frr-single-hop covers them on its lab:
// md5-mismatch (52 s; TestBrokenPeer's diagnosis and TestFaults' md5 fault
// break and repair MD5 on a live router) and communities (25-34 s;
// TestSingleHop applies the communities example to the running lab and
// reads the communities at edge).
var CoreScenarios = []string{"pools", "aggregation", "advertisement-nodes", "advertisement-peers", "peer-timers", "peer-nodes", "bfd-profiles", "random"}

// KubernetesVersion is the only version the image kit builds on this kind
// of host (1.35+ refuses cgroup v1).
const KubernetesVersion = "v1.34.10"

// Lanes is the matrix, in the order the runner runs it.
func Lanes() []Lane {
	unit := []string{"./topologies/...", "./harness/...", "./scenarios/...", "./images/...", "./internal/...", "./routers/...", "./cmd/..."}
	return []Lane{
		{
			Name: "unit", Family: "-", Backend: "-", Topology: "-", Kubernetes: "-",
			Packages: unit, Timeout: 20 * time.Minute,
			Default: true,
			Covers:  "topology loading and validation, plans, renderers, FRR JSON parsers on captured output, the scenario oracle, the image kit's hashing, and the routers package against real FRR containers",
		},
		{
			Name: "ipv4-frr-single-hop", Family: "ipv4", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			// The three tests share one lab (e2e's sharedLab): two lab-ups
			// fewer than a lane each.
			Packages: []string{"./e2e"}, Run: "^(TestSingleHop|TestBrokenPeer|TestFaults)$", Timeout: 45 * time.Minute,
			Default: true,
			Covers:  "eBGP single-hop, on one lab: sessions, BFD, ECMP in RIB and kernel, curl from the client, pod network, a live apply, a node restart; a broken peer refused at validation and diagnosed live (wrong ASN, MD5 mismatch, a peer that does not answer), the dump with diagnosis and pcap; faults (link down, pause, BFD and BGP drops, speaker deletion, FRR restart, node stop, live misconfigurations), each measured and followed by the lab fully green again; the convergence report",
		},
		{
			Name: "ipv4-frr-multi-hop", Family: "ipv4", Backend: "frr", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute,
			// Not in the default set: dual-frr-multi-hop runs the same test
			// with these IPv4 sessions in it, and the budget is tight.
			Covers: "eBGP multi-hop behind a transit router: sessions, multi-hop BFD, ECMP, curl through two routers",
		},
		{
			Name: "ipv4-frr-catalog-core", Family: "ipv4", Backend: "frr", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$/^(" + strings.Join(CoreScenarios, "|") + ")$", Timeout: 30 * time.Minute,
			Default: true,
			Covers:  "the catalog's core on one reference lab (eBGP/iBGP, single and multi-hop, MD5, BFD): a pool, aggregation, advertisement and peer selectors, timers, BFD profiles, a random reconfiguration",
		},
		{
			Name: "ipv4-frr-catalog", Family: "ipv4", Backend: "frr", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$", Timeout: 40 * time.Minute,
			Covers: "the whole scenario catalog on one reference lab: the core plus ETP Local, pool options (auto-assign, requested IPs, buggy IPs, exhaustion, moving pools), several services and shared IPs",
		},
		{
			Name: "ipv4-frr-faults", Family: "ipv4", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestFaults$", Timeout: 30 * time.Minute,
			// Not in the default set: ipv4-frr-single-hop runs TestFaults on
			// its shared lab.
			Covers: "faults on a running lab (link down, pause, BFD and BGP drops, speaker deletion, FRR restart, node stop), each measured from the router's own samples and followed by the lab fully green again; the convergence report",
		},
		{
			Name: "ipv4-frr-interrupts", Family: "ipv4", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^(TestInterruptedUp|TestInterruptedLane)$", Timeout: 30 * time.Minute,
			Default: true,
			Covers:  "SIGINT to peerlab up with networks and guard in place and half-way through kind's create, and to the matrix runner while its lane's routers and MetalLB come up: nothing of the lab remains (PEERLAB_INTERRUPTS=20 runs 20 ups interrupted in a row, cycling over three points: the third is the routers and MetalLB phase)",
		},
		{
			Name: "dual-frr-multi-hop", Family: "dual", Backend: "frr", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute, Env: family("dual"), Default: true,
			Covers: "dual-stack multi-hop: IPv4 and IPv6 sessions, BFD and ECMP through a transit router, a RequireDualStack service with one address per family, curl over both",
		},
		{
			Name: "ipv6-frr-single-hop", Family: "ipv6", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestSingleHop$", Timeout: 30 * time.Minute, Env: family("ipv6"),
			Covers: "IPv6-only single-hop: IPv6 sessions and BFD, ECMP by the nodes' global addresses in RIB and kernel, curl -6, the IPv6 pod network (pod to pod, ClusterIP, CoreDNS) before and after a node restart, a live apply",
		},
		{
			Name: "dual-frr-single-hop", Family: "dual", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestSingleHop$", Timeout: 30 * time.Minute, Env: family("dual"),
			Covers: "dual-stack single-hop: both families' sessions, BFD, ECMP and curl, the dual-stack pod network before and after a node restart, a live apply",
		},
		{
			Name: "ipv6-frr-multi-hop", Family: "ipv6", Backend: "frr", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute, Env: family("ipv6"),
			Covers: "IPv6-only multi-hop behind a transit router: multi-hop BFD over IPv6, ECMP, curl -6 through two routers",
		},
		{
			Name: "ipv6-frr-catalog", Family: "ipv6", Backend: "frr", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$", Timeout: 40 * time.Minute, Env: family("ipv6"),
			Covers: "the scenario catalog on an IPv6-only reference lab (scenarios written for IPv4 get IPv6 twins of their pools and addresses; IPv4-only ones are skipped with the reason)",
		},
		{
			Name: "dual-frr-catalog", Family: "dual", Backend: "frr", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$", Timeout: 40 * time.Minute, Env: family("dual"),
			Covers: "the scenario catalog on a dual-stack reference lab: every service in both families",
		},
		{
			Name: "ipv4-frr-side-by-side", Family: "ipv4", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestSideBySide$", Timeout: 30 * time.Minute,
			Covers: "two single-hop labs brought up at once on one host, the second moved to free subnets; both pass the core checks with nothing leaving either; the memory each takes",
		},
		{
			Name: "ipv4-native-multi-hop", Family: "ipv4", Backend: "native", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute, Env: backend("ipv4", "native"), Default: true,
			Covers: "MetalLB's native Go speaker (no FRR on the nodes, no BFD) peering multi-hop behind a transit router: sessions and ECMP seen from the routers, curl through two routers",
		},
		{
			Name: "ipv4-native-single-hop", Family: "ipv4", Backend: "native", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestSingleHop$", Timeout: 30 * time.Minute, Env: backend("ipv4", "native"),
			Covers: "the native speaker single-hop: sessions and ECMP from the router, curl, the pod network, a node restart (the communities example is skipped: it sends a large community)",
		},
		{
			Name: "ipv4-frr-k8s-single-hop", Family: "ipv4", Backend: "frr-k8s", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestSingleHop$", Timeout: 30 * time.Minute, Env: backend("ipv4", "frr-k8s"),
			Covers: "the frr-k8s backend (FRR in its own DaemonSet, configured by FRRConfiguration): sessions and BFD on both ends, ECMP, curl, BGPSessionState and FRRNodeState agreeing with FRR and the plan, a live apply, a node restart",
		},
		{
			Name: "ipv4-frr-k8s-multi-hop", Family: "ipv4", Backend: "frr-k8s", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute, Env: backend("ipv4", "frr-k8s"),
			Covers: "frr-k8s peering multi-hop with multi-hop BFD behind a transit router",
		},
		{
			Name: "dual-frr-k8s-multi-hop", Family: "dual", Backend: "frr-k8s", Topology: "multi-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMultiHop$", Timeout: 30 * time.Minute, Env: backend("dual", "frr-k8s"),
			Covers: "frr-k8s in dual stack, multi-hop: both families' sessions, BFD and ECMP, curl over both",
		},
		{
			Name: "ipv4-frr-k8s-catalog", Family: "ipv4", Backend: "frr-k8s", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$", Timeout: 40 * time.Minute, Env: backend("ipv4", "frr-k8s"),
			Covers: "the scenario catalog on a reference lab with the frr-k8s backend",
		},
		{
			Name: "ipv4-native-catalog", Family: "ipv4", Backend: "native", Topology: "reference", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestCatalog$", Timeout: 40 * time.Minute, Env: backend("ipv4", "native"),
			Covers: "the scenario catalog on a reference lab with the native speaker: BFD profiles skipped (no BFD), communities without the large one, hold time without a keepalive time, LOCAL_PREF 0 on the iBGP routers' paths (the native speaker always sends it), everything checked from the routers' side",
		},
		{
			Name: "ipv4-frr-receive-routes", Family: "ipv4", Backend: "frr", Topology: "receive-routes", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestReceiveRoutes$", Timeout: 30 * time.Minute,
			Covers: "nodes that learn routes (FRR mode, the bgpextras ConfigMap): the client network installed on every node via its router, a prefix no receive entry lets in absent (MetalLB's default deny), curl answered over the learned return path with no static node route",
		},
		{
			Name: "ipv4-frr-k8s-receive-routes", Family: "ipv4", Backend: "frr-k8s", Topology: "receive-routes", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestReceiveRoutes$", Timeout: 30 * time.Minute, Env: backend("ipv4", "frr-k8s"), Default: true,
			Covers: "the frr-k8s backend (FRR in its own DaemonSet): sessions and BFD on both ends, ECMP, curl, BGPSessionState and FRRNodeState agreeing with FRR and the plan, and received routes through an FRRConfiguration's toReceive merged with the speaker's own",
		},
		{
			Name: "dual-frr-receive-routes", Family: "dual", Backend: "frr", Topology: "receive-routes", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestReceiveRoutes$", Timeout: 30 * time.Minute, Env: family("dual"),
			Covers: "dual stack with nodes that learn routes (FRR mode): both families' sessions, BFD, ECMP, a RequireDualStack service, and each family's client network received over its own sessions as the only return path",
		},
		{
			Name: "ipv4-frr-metallb-src", Family: "ipv4", Backend: "frr", Topology: "single-hop", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestMetalLBSource$", Timeout: 30 * time.Minute,
			Covers: "MetalLB built from a source tree (a copy of the pinned release standing in for a developer's checkout): controller, speaker and manifests images from the tree, run by a single-hop lab that passes the core checks; a non-MetalLB directory refused",
		},
		{
			Name: "ipv4-frr-l2", Family: "ipv4", Backend: "frr", Topology: "l2", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestL2$", Timeout: 30 * time.Minute,
			Covers: "L2 mode beside BGP (the l2 example): one node answers ARP for the L2 service's address, as MetalLB's ServiceL2Status says, seen from every neighbor on the nodes' segment; curl from the segment and through edge; the owner stopped: takeover by another node measured (ARP, curl, status, gratuitous ARP), then green again",
		},
		{
			Name: "dual-frr-l2", Family: "dual", Backend: "frr", Topology: "l2", Kubernetes: KubernetesVersion,
			Packages: []string{"./e2e"}, Run: "^TestL2$", Timeout: 30 * time.Minute, Env: family("dual"),
			Covers: "L2 mode in dual stack: the service's IPv4 address answered by ARP and its IPv6 twin in the nodes' subnet by NDP, both from the node MetalLB names; curl over both; one takeover measured for both addresses (ARP and NDP, curl, status, gratuitous ARP and unsolicited neighbor advertisements), then green again",
		},
	}
}

// family is the Env of a lane whose labs run in family f.
func family(f string) map[string]string { return map[string]string{"PEERLAB_FAMILY": f} }

// backend is the Env of a lane whose labs run in family f with MetalLB
// backend b.
func backend(f, b string) map[string]string {
	return map[string]string{"PEERLAB_FAMILY": f, "PEERLAB_BACKEND": b}
}

// Runnable returns every lane that can run (the full matrix).
func Runnable() []Lane {
	var out []Lane
	for _, l := range Lanes() {
		if l.Pending == "" {
			out = append(out, l)
		}
	}
	return out
}

// Select returns the named lanes (the default set for none), refusing
// unknown names with the list of known ones and pending lanes with why.
func Select(names []string) ([]Lane, error) {
	all := Lanes()
	if len(names) == 0 {
		var out []Lane
		for _, l := range all {
			if l.Pending == "" && l.Default {
				out = append(out, l)
			}
		}
		return out, nil
	}
	var out []Lane
	for _, n := range names {
		i := slices.IndexFunc(all, func(l Lane) bool { return l.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, l := range all {
				known[j] = l.Name
			}
			return nil, fmt.Errorf("unknown lane %q (lanes: %s)", n, strings.Join(known, ", "))
		}
		if all[i].Pending != "" {
			return nil, fmt.Errorf("lane %s cannot run yet: %s", n, all[i].Pending)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// GoTestArgs are the go test arguments of a lane.
func (l Lane) GoTestArgs() []string {
	// -vet=off: scripts/test.sh vets the whole module once before the
	// lanes; go test's own vet pass cost each lane seconds again.
	args := []string{"-p", "1", "-count=1", "-vet=off", "-timeout", l.Timeout.String()}
	if l.Run != "" {
		args = append(args, "-run", l.Run)
	}
	return append(args, l.Packages...)
}
