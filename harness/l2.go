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

// L2 mode: one node answers ARP (IPv4) or NDP (IPv6) for each service IP
// of an L2 pool on the nodes' network. MetalLB says which node in a
// ServiceL2Status per service; the lab's own view is the MAC that answers
// a request.

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

// neighborSocket opens a raw packet socket on the interface that holds the
// address sys.argv[1], for ARP when the address asked about (sys.argv[2])
// is IPv4, for IPv6 (NDP) when it is IPv6. Raw sockets, since the FRR
// image has python3 but neither arping nor ndisc6. It defines ask(), which
// sends one request for the address (an ARP request, or a neighbor
// solicitation to its solicited-node group), and parse(pkt), which returns
// (sender MAC, gratuitous) for a packet that announces the address (an ARP
// reply or a neighbor advertisement for it, or an ARP request for the
// address itself), else None. An announcement is gratuitous when nobody
// asked: the ARP request for itself, an ARP reply broadcast to everyone, or
// a neighbor advertisement without the solicited flag.
const neighborSocket = `import os, socket, struct, subprocess, sys, time
src, dst = sys.argv[1], sys.argv[2]
v6 = ":" in dst
fam = socket.AF_INET6 if v6 else socket.AF_INET
me, t = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
ifname = None
for line in subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) > 3 and f[2] == ("inet6" if v6 else "inet") and socket.inet_pton(fam, f[3].split("/")[0]) == me:
        ifname = f[1].split("@")[0]
if ifname is None:
    sys.exit("no interface holds " + src)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD if v6 else 0x0806))
s.bind((ifname, 0))
mac = s.getsockname()[4]

def csum(b):
    x = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while x >> 16:
        x = (x & 0xFFFF) + (x >> 16)
    return ~x & 0xFFFF

def ask():
    if not v6:
        s.send(b"\xff" * 6 + mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + me + b"\x00" * 6 + t)
        return
    group = b"\xff\x02" + b"\x00" * 9 + b"\x01\xff" + t[13:]
    ns = struct.pack("!BBHI", 135, 0, 0, 0) + t + b"\x01\x01" + mac
    c = csum(me + group + struct.pack("!I", len(ns)) + b"\x00\x00\x00\x3a" + ns)
    ns = ns[:2] + struct.pack("!H", c) + ns[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(ns), 58, 255) + me + group
    s.send(b"\x33\x33" + group[12:] + mac + b"\x86\xdd" + ip6 + ns)

def parse(pkt):
    if not v6:
        if len(pkt) < 42 or pkt[28:32] != t:
            return None
        op, bcast = struct.unpack("!H", pkt[20:22])[0], pkt[0:6] == b"\xff" * 6
        if op == 2:
            return pkt[22:28].hex(":"), bcast
        if op == 1 and pkt[38:42] == t:
            return pkt[22:28].hex(":"), True
        return None
    if len(pkt) < 78 or pkt[20] != 58 or pkt[21] != 255 or pkt[54] != 136 or pkt[62:78] != t:
        return None
    sender = pkt[6:12]
    o = 78
    while o + 8 <= len(pkt) and pkt[o + 1] > 0:
        if pkt[o] == 2:
            sender = pkt[o + 2:o + 8]
        o += 8 * pkt[o + 1]
    return sender.hex(":"), not pkt[58] & 0x40
`

// neighborProbe asks once who has the address and prints the MAC of every
// answer seen within sys.argv[3] seconds, one per line (for NDP the target
// link-layer address the advertisement carries).
const neighborProbe = neighborSocket + `wait = float(sys.argv[3])
ask()
end = time.time() + wait
while True:
    left = end - time.time()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        pkt = s.recv(256)
    except socket.timeout:
        break
    got = parse(pkt)
    if got and not got[1]:
        print(got[0])
`

// neighborListen prints every announcement of the address, as "mac
// gratuitous(0/1)", one per line. It creates the ready file (sys.argv[4])
// once it listens, and stops when the stop file (sys.argv[5]) appears, or
// after sys.argv[3] seconds.
const neighborListen = neighborSocket + `wait, ready, stop = float(sys.argv[3]), sys.argv[4], sys.argv[5]
open(ready, "w").close()
end = time.time() + wait
while time.time() < end and not os.path.exists(stop):
    s.settimeout(0.2)
    try:
        pkt = s.recv(256)
    except socket.timeout:
        continue
    got = parse(pkt)
    if got:
        print(got[0], int(got[1]), flush=True)
os.remove(ready)
if os.path.exists(stop):
    os.remove(stop)
`

// L2ListenCommand is the command that, run in a router or client whose
// address on the nodes' network is src (of ip's family), prints every
// announcement of ip (ARP for IPv4, neighbor advertisements for IPv6) as
// "sender-mac gratuitous(0/1)" lines, from the moment it creates the ready
// file until the stop file appears (at most limit).
func L2ListenCommand(src, ip netip.Addr, limit time.Duration, ready, stop string) []string {
	return []string{"python3", "-c", neighborListen, src.String(), ip.String(), strconv.Itoa(int(limit.Seconds())), ready, stop}
}

// L2Answers asks who has ip (ARP for IPv4, a neighbor solicitation for
// IPv6) from the router or client from, whose address on the nodes'
// network in ip's family is src, and returns the distinct MACs that
// answered within a second, sorted.
func (l *Lab) L2Answers(ctx context.Context, from string, src, ip netip.Addr) ([]string, error) {
	e, err := l.Exec(from)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := e.Exec(ctx, []string{"python3", "-c", neighborProbe, src.String(), ip.String(), "1"})
	if err != nil {
		return nil, fmt.Errorf("%s: %s probe for %s: %w: %s", from, L2Protocol(ip), ip, err, strings.TrimSpace(string(stderr)))
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

// L2Protocol is how neighbors ask for ip: "ARP" or "NDP".
func L2Protocol(ip netip.Addr) string {
	if ip.Is6() {
		return "NDP"
	}
	return "ARP"
}
