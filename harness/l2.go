package harness

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// L2 mode: one node answers ARP for each service IP of an L2 pool on the
// nodes' network. MetalLB says which node in a ServiceL2Status per service;
// the lab's own view is the MAC that answers an ARP request.

var serviceL2StatusGVR = schema.GroupVersionResource{Group: "metallb.io", Version: "v1beta1", Resource: "servicel2statuses"}

// L2Owners returns, by service name, the node MetalLB's ServiceL2Status
// names for the lab's services announced in L2 mode (Kubernetes node
// names). A service it has not announced yet is absent.
func (l *Lab) L2Owners(ctx context.Context) (map[string]string, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	dyn, err := dynamic.NewForConfig(l.cluster.rest)
	if err != nil {
		return nil, err
	}
	list, err := dyn.Resource(serviceL2StatusGVR).Namespace(MetalLBNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list ServiceL2Status: %w", err)
	}
	out := map[string]string{}
	for _, o := range list.Items {
		ns, _, _ := unstructured.NestedString(o.Object, "status", "serviceNamespace")
		svc, _, _ := unstructured.NestedString(o.Object, "status", "serviceName")
		node, _, _ := unstructured.NestedString(o.Object, "status", "node")
		if ns != WorkloadNamespace || svc == "" {
			continue
		}
		if prev, ok := out[svc]; ok && prev != node {
			return nil, fmt.Errorf("service %s has two ServiceL2Status, naming %s and %s", svc, prev, node)
		}
		out[svc] = node
	}
	return out, nil
}

// NodeMACs returns, by Kubernetes node name, each node's MAC address on
// the nodes' network.
func (l *Lab) NodeMACs(ctx context.Context) (map[string]string, error) {
	if l.cluster == nil {
		return nil, fmt.Errorf("lab %s has no cluster (is it up?)", l.id)
	}
	ns, err := l.cluster.nodes()
	if err != nil {
		return nil, err
	}
	network := l.NetworkName(l.topo.Cluster.Network)
	out := map[string]string{}
	for _, n := range ns {
		b, err := exec.CommandContext(ctx, "docker", "inspect", "-f", fmt.Sprintf(`{{with index .NetworkSettings.Networks %q}}{{.MacAddress}}{{end}}`, network), n.String()).Output()
		if err != nil {
			return nil, fmt.Errorf("node %s: docker inspect: %w", n, err)
		}
		mac := strings.ToLower(strings.TrimSpace(string(b)))
		if mac == "" {
			return nil, fmt.Errorf("node %s has no MAC on network %s", n, network)
		}
		out[n.String()] = mac
	}
	return out, nil
}

// arpSocket opens a raw ARP socket on the interface that holds the
// address sys.argv[1]; the address asked about is sys.argv[2]. Raw sockets,
// since the FRR image has python3 but no arping.
const arpSocket = `import os, socket, struct, subprocess, sys, time
src, dst = sys.argv[1], sys.argv[2]
ifname = None
for line in subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) > 3 and f[3].split("/")[0] == src:
        ifname = f[1].split("@")[0]
if ifname is None:
    sys.exit("no interface holds " + src)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((ifname, 0))
t = socket.inet_aton(dst)
`

// arpProbe sends one ARP request for the address and prints the sender MAC
// of every reply for it seen within sys.argv[3] seconds, one per line.
const arpProbe = arpSocket + `wait = float(sys.argv[3])
mac = s.getsockname()[4]
s.send(b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(src) + b"\x00" * 6 + t)
end = time.time() + wait
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        pkt = s.recv(128)
    except socket.timeout:
        break
    if len(pkt) >= 42 and pkt[20:22] == b"\x00\x02" and pkt[28:32] == t:
        print(pkt[22:28].hex(":"))
`

// arpListen prints every ARP packet sent from the address, as "op
// sender-mac target-ip broadcast", one per line. It creates the ready file
// (sys.argv[4]) once it listens, and stops when the stop file (sys.argv[5])
// appears, or after sys.argv[3] seconds.
const arpListen = arpSocket + `wait, ready, stop = float(sys.argv[3]), sys.argv[4], sys.argv[5]
open(ready, "w").close()
end = time.time() + wait
while time.time() < end and not os.path.exists(stop):
    s.settimeout(0.2)
    try:
        pkt = s.recv(128)
    except socket.timeout:
        continue
    if len(pkt) < 42 or pkt[28:32] != t:
        continue
    op = struct.unpack("!H", pkt[20:22])[0]
    print(op, pkt[22:28].hex(":"), socket.inet_ntoa(pkt[38:42]), int(pkt[0:6] == b"\xff" * 6), flush=True)
os.remove(ready)
if os.path.exists(stop):
    os.remove(stop)
`

// ARPListenCommand is the command that, run in a router or client whose
// address on the nodes' network is src, prints every ARP packet the address
// ip sends, as "op sender-mac target-ip broadcast(0/1)" lines, from the
// moment it creates the ready file until the stop file appears (at most
// limit).
func ARPListenCommand(src, ip netip.Addr, limit time.Duration, ready, stop string) []string {
	return []string{"python3", "-c", arpListen, src.String(), ip.String(), strconv.Itoa(int(limit.Seconds())), ready, stop}
}

// ARPAnswers sends an ARP request for ip from the router or client from,
// whose address on the nodes' network is src, and returns the distinct MACs
// that answered within a second, sorted.
func (l *Lab) ARPAnswers(ctx context.Context, from string, src, ip netip.Addr) ([]string, error) {
	e, err := l.Exec(from)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := e.Exec(ctx, []string{"python3", "-c", arpProbe, src.String(), ip.String(), "1"})
	if err != nil {
		return nil, fmt.Errorf("%s: ARP probe for %s: %w: %s", from, ip, err, strings.TrimSpace(string(stderr)))
	}
	var macs []string
	for _, m := range strings.Fields(string(stdout)) {
		if !slices.Contains(macs, m) {
			macs = append(macs, m)
		}
	}
	slices.Sort(macs)
	return macs, nil
}
