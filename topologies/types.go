package topologies

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Topology is one lab: a kind cluster, the networks around it, the routers that carry BGP
// from the cluster to the clients, the clients, what MetalLB does and the services it serves.
type Topology struct {
	// Name identifies the topology (builtins: "single-hop", "multi-hop"). The harness derives
	// container, network and cluster names from it plus a per-run suffix, so two labs of the
	// same topology can run at once. Lowercase letters, digits and '-', at most 32 characters.
	Name     string    `json:"name"`
	Cluster  Cluster   `json:"cluster"`
	Networks []Network `json:"networks"`
	Routers  []Router  `json:"routers"`
	Clients  []Client  `json:"clients,omitempty"`
	MetalLB  MetalLB   `json:"metallb"`
	// Services are the LoadBalancer services the lab runs, each with its own backend
	// Deployment. Default: one service "backend" (see DefaultServiceName) with one replica per
	// announcing node, externalTrafficPolicy Cluster, port 80.
	Services []Service `json:"services,omitempty"`
}

// IPFamily is the address family the cluster and its LoadBalancer services use.
type IPFamily string

const (
	IPv4      IPFamily = "ipv4"
	IPv6      IPFamily = "ipv6"
	DualStack IPFamily = "dual"
)

// HasIPv4 reports whether the family needs IPv4 addresses everywhere.
func (f IPFamily) HasIPv4() bool { return f == IPv4 || f == DualStack }

// HasIPv6 reports whether the family needs IPv6 addresses everywhere.
func (f IPFamily) HasIPv6() bool { return f == IPv6 || f == DualStack }

// Cluster is the kind cluster.
type Cluster struct {
	// ControlPlanes is the number of control-plane nodes. Only 1 is supported: MetalLB and
	// the checks do not need HA, and a second control plane costs ~0.75 GiB. Default 1.
	ControlPlanes int `json:"controlPlanes,omitzero"`
	// Workers is the number of worker nodes; 0 is allowed when the control plane announces.
	Workers int `json:"workers"`
	// KubernetesVersion of the node image the harness builds. Default DefaultKubernetesVersion
	// (1.35+ refuse cgroup v1 hosts, so the lab stays on 1.34).
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// NodeImage overrides the node image reference; empty means the harness builds or picks
	// the image for KubernetesVersion.
	NodeImage string `json:"nodeImage,omitempty"`
	// IPFamily of the cluster and its services. Default ipv4. It also decides which address
	// families every network, router, client and pool must have.
	IPFamily IPFamily `json:"ipFamily,omitempty"`
	// Network is the lab network the nodes sit on (the harness attaches kind to it). The
	// nodes get dynamic addresses in the upper half of its subnets (see DynamicRange).
	Network string `json:"network"`
	// PodSubnet and ServiceSubnet of the cluster, one prefix per family in use. Defaults:
	// 10.244.0.0/16 and fd00:10:244::/56 for pods, 10.96.0.0/16 and fd00:10:96::/112 for
	// services (kind's own defaults).
	PodSubnet     Subnets `json:"podSubnet,omitzero"`
	ServiceSubnet Subnets `json:"serviceSubnet,omitzero"`
	// ControlPlaneAnnounces removes kind's node.kubernetes.io/exclude-from-external-load-balancers
	// label from the control plane so that its speaker announces service IPs too. Default
	// false: only workers announce, as in a production-like cluster.
	ControlPlaneAnnounces bool `json:"controlPlaneAnnounces,omitempty"`
	// Routes are static routes the harness installs on every node. A node's default route
	// points at the Docker host, and MetalLB's FRR refuses routes learned from its peers, so
	// any lab network that is not the nodes' own (a client network for return traffic, a
	// multi-hop router's network for the BGP session) needs a route here.
	Routes []StaticRoute `json:"routes,omitempty"`
}

// Subnets holds at most one prefix per address family.
type Subnets struct {
	IPv4 netip.Prefix `json:"ipv4,omitzero"`
	IPv6 netip.Prefix `json:"ipv6,omitzero"`
}

// StaticRoute sends Prefix to the next hop Via, which must be a lab router's address on a
// network the route's owner is attached to.
type StaticRoute struct {
	Prefix netip.Prefix `json:"prefix"`
	Via    netip.Addr   `json:"via"`
}

// Network is one Docker network of the lab. It has at least one subnet; it must have one for
// every family the cluster uses.
type Network struct {
	Name string       `json:"name"`
	IPv4 netip.Prefix `json:"ipv4,omitzero"`
	IPv6 netip.Prefix `json:"ipv6,omitzero"`
}

// Subnet returns the network's subnet of the family (IPv4 or IPv6) and whether it has one.
func (n Network) Subnet(f IPFamily) (netip.Prefix, bool) {
	switch f {
	case IPv4:
		return n.IPv4, n.IPv4.IsValid()
	case IPv6:
		return n.IPv6, n.IPv6.IsValid()
	}
	return netip.Prefix{}, false
}

// Role says where a router sits; it is what the harness and the CLI show, and it constrains
// peering so that a topology reads the way it behaves.
type Role string

const (
	// RoleEdge terminates BGP from the cluster or faces the clients (or both). Default.
	RoleEdge Role = "edge"
	// RoleTransit sits between networks, forwards, and may exchange routes with other routers
	// by BGP, but never peers with the nodes.
	RoleTransit Role = "transit"
)

// Router is one FRR container.
type Router struct {
	Name string `json:"name"`
	// ASN of the router: 1..4294967294, not 23456 (AS_TRANS). Required.
	ASN uint32 `json:"asn"`
	// RouterID is the BGP identifier. Default: the router's first IPv4 address in interface
	// order; a router with no IPv4 address must set it.
	RouterID   netip.Addr   `json:"routerID,omitzero"`
	Role       Role         `json:"role,omitempty"`
	Interfaces []Attachment `json:"interfaces"`
	Peers      []Peer       `json:"peers,omitempty"`
	// ECMP installs up to MaxPaths equal paths per prefix in the kernel (FRR maximum-paths
	// for eBGP and iBGP). This is where the lab's load balancing happens, so the checks for
	// ECMP next hops look at the routers that have it. MaxPaths defaults to 8 when ECMP is on
	// and must stay 0 when it is off.
	ECMP     bool          `json:"ecmp,omitempty"`
	MaxPaths int           `json:"maxPaths,omitzero"`
	Routes   []StaticRoute `json:"routes,omitempty"`
	// Originate are prefixes the router announces to all its BGP peers, the nodes included
	// (FRR network statements; the router need not have a route for them). The nodes install
	// only what their MetalLB peer's Receive lets in: by default nothing.
	Originate []netip.Prefix `json:"originate,omitempty"`
}

// Interface returns the router's attachment to the named network.
func (r Router) Interface(network string) (Attachment, bool) {
	for _, a := range r.Interfaces {
		if a.Network == network {
			return a, true
		}
	}
	return Attachment{}, false
}

// NodesPeer returns the router's peer entry for the cluster nodes, if it has one.
func (r Router) NodesPeer() (Peer, bool) {
	for _, p := range r.Peers {
		if p.Nodes {
			return p, true
		}
	}
	return Peer{}, false
}

// Attachment connects a router to a network with static addresses. Each address must be in
// the lower half of the network's subnet of its family, not its first two addresses.
type Attachment struct {
	Network string     `json:"network"`
	IPv4    netip.Addr `json:"ipv4,omitzero"`
	IPv6    netip.Addr `json:"ipv6,omitzero"`
}

// Addr returns the attachment's address of the family (IPv4 or IPv6); the zero Addr if none.
func (a Attachment) Addr(f IPFamily) netip.Addr {
	switch f {
	case IPv4:
		return a.IPv4
	case IPv6:
		return a.IPv6
	}
	return netip.Addr{}
}

// Peer is one BGP neighbor configuration of a router: either the cluster nodes or another
// lab router. Sessions run in every family the cluster uses.
type Peer struct {
	// Nodes peers with every announcing cluster node. The nodes have dynamic addresses, so
	// the router should accept them from the nodes' network (e.g. FRR "bgp listen range" on
	// DynamicRange of the cluster network) rather than list them.
	Nodes bool `json:"nodes,omitempty"`
	// Router peers with another lab router by name.
	Router string `json:"router,omitempty"`
	// Network (router peers only) is the network whose address of the other router this
	// router connects to. Default: the first network, in Topology.Networks order, that both
	// routers are attached to. Required when they share none (and then MultiHop too).
	Network string `json:"network,omitempty"`
	// ASN of the other side. Default: the other router's ASN, or MetalLB's ASN for the nodes.
	// It must match: it exists so a session reads as iBGP or eBGP in the file itself.
	ASN uint32 `json:"asn,omitzero"`
	// MultiHop allows a session with a peer that is not on a shared network (ebgp-multihop).
	MultiHop bool `json:"multiHop,omitempty"`
	// BFD on this session. For the nodes it must agree with the MetalLB peer's BFDProfile,
	// and the harness should mirror that profile's timers on the router side.
	BFD bool `json:"bfd,omitempty"`
	// AddPathAll advertises every path to this router peer, not only the best one, so that a
	// transit router behind this one learns one path per node and can do ECMP itself.
	AddPathAll bool `json:"addPathAll,omitempty"`
	// Password enables TCP MD5 on the session. For the nodes it must equal the MetalLB
	// peer's password (a mismatch is a fault to inject on a running lab, not a topology).
	Password string `json:"password,omitempty"`
	// HoldTime and KeepaliveTime are this side's BGP timers (whole seconds; 0 keeps FRR's
	// 180s and 60s). The session runs the smaller hold time of the two ends.
	HoldTime      Duration `json:"holdTime,omitzero"`
	KeepaliveTime Duration `json:"keepaliveTime,omitzero"`
}

// Client is an external host (a plain container with curl) behind a router.
type Client struct {
	Name    string     `json:"name"`
	Network string     `json:"network"`
	IPv4    netip.Addr `json:"ipv4,omitzero"`
	IPv6    netip.Addr `json:"ipv6,omitzero"`
	// Via is the router whose address on the client's network becomes the client's default
	// route. It must peer with the nodes, or reach over BGP a router that does.
	Via string `json:"via"`
}

// MetalLB is the MetalLB configuration (BGP mode) the harness applies.
type MetalLB struct {
	// Backend is MetalLB's BGP implementation: frr (default), native or frr-k8s. Changing it
	// needs a new lab.
	Backend Backend `json:"backend,omitempty"`
	// ASN of the speakers (MetalLB's myASN). Required.
	ASN            uint32             `json:"asn"`
	Pools          []Pool             `json:"pools"`
	Peers          []MetalLBPeer      `json:"peers"`
	BFDProfiles    []BFDProfile       `json:"bfdProfiles,omitempty"`
	Advertisements []BGPAdvertisement `json:"advertisements,omitempty"`
	// L2Advertisements announce pools in L2 mode: one node answers ARP (IPv4) or NDP (IPv6)
	// for each of the pools' service IPs on the nodes' network. A pool they name is an L2 pool (see
	// L2Pool): it lies inside the nodes' network, and no BGPAdvertisement announces it.
	L2Advertisements []L2Advertisement `json:"l2Advertisements,omitempty"`
}

// L2Advertisement is a MetalLB L2Advertisement.
type L2Advertisement struct {
	// Name of the L2Advertisement; default "l2advertisement-<index>".
	Name string `json:"name,omitempty"`
	// Pools announced in L2 mode, by name. Required: unlike MetalLB's empty list (every
	// pool), a lab names them, since a pool is checked in one mode.
	Pools []string `json:"pools"`
	// Nodes limits the nodes that may answer for the pools' IPs (MetalLB nodeSelectors, by
	// node name); empty means every node.
	Nodes []string `json:"nodes,omitempty"`
	// Interfaces limits the node interfaces MetalLB answers on; empty means all. A kind
	// node has one: eth0, on the nodes' network.
	Interfaces []string `json:"interfaces,omitempty"`
}

// L2Pool reports whether an L2Advertisement names the pool.
func (m MetalLB) L2Pool(name string) bool {
	for _, a := range m.L2Advertisements {
		if slices.Contains(a.Pools, name) {
			return true
		}
	}
	return false
}

// PoolOf returns the pool whose addresses hold ip.
func (m MetalLB) PoolOf(ip netip.Addr) (Pool, bool) {
	for _, pool := range m.Pools {
		rs, _ := pool.Ranges()
		for _, r := range rs {
			if r.Contains(ip) {
				return pool, true
			}
		}
	}
	return Pool{}, false
}

// BGPPools are the names of the pools announced by BGP: every pool that is not an L2 pool.
func (m MetalLB) BGPPools() []string {
	var out []string
	for _, p := range m.Pools {
		if !m.L2Pool(p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

// Pool is an IPAddressPool.
type Pool struct {
	Name string `json:"name"`
	// Addresses are CIDRs (10.250.0.0/28) or inclusive ranges (10.250.0.1-10.250.0.9), as
	// MetalLB takes them. They must not overlap any lab network, the pod or service subnets,
	// nor each other.
	Addresses []string `json:"addresses"`
	// AutoAssign false keeps the pool for services that ask for it (by pool name or by a
	// requested IP). Default true.
	AutoAssign *bool `json:"autoAssign,omitempty"`
	// AvoidBuggyIPs never hands out addresses ending in .0 or .255.
	AvoidBuggyIPs bool `json:"avoidBuggyIPs,omitempty"`
}

// AutoAssigns reports whether MetalLB may give the pool's addresses to any service.
func (p Pool) AutoAssigns() bool { return p.AutoAssign == nil || *p.AutoAssign }

// Ranges parses the pool's addresses.
func (p Pool) Ranges() ([]AddrRange, error) {
	out := make([]AddrRange, 0, len(p.Addresses))
	for _, s := range p.Addresses {
		r, err := ParsePoolAddress(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// MetalLBPeer is a BGPPeer: the router the speakers open sessions to. The harness creates one
// BGPPeer per address set (IPv4, IPv6).
type MetalLBPeer struct {
	Router string `json:"router"`
	// Network is the router's network whose addresses the speakers connect to. Default: the
	// nodes' network when the router is on it. A router elsewhere needs Network set,
	// EBGPMultiHop and a route on the nodes (Cluster.Routes) to that network.
	Network string `json:"network,omitempty"`
	// IPv4 and IPv6 are the peer addresses, one per family the cluster uses. Default: the
	// router's addresses on Network; an explicit value must be exactly those.
	IPv4 netip.Addr `json:"ipv4,omitzero"`
	IPv6 netip.Addr `json:"ipv6,omitzero"`
	// ASN of the router (MetalLB's peerASN). Default: the router's ASN; it must match.
	ASN          uint32 `json:"asn,omitzero"`
	EBGPMultiHop bool   `json:"ebgpMultiHop,omitempty"`
	// BFDProfile names one of MetalLB.BFDProfiles; empty means no BFD on these sessions.
	BFDProfile string `json:"bfdProfile,omitempty"`
	// ConnectTime is the BGP connect-retry timer. Default 5s: MetalLB's 120s default leaves
	// a session down for two minutes after any early refusal.
	ConnectTime Duration `json:"connectTime,omitzero"`
	// HoldTime (0 or at least 3s) and KeepaliveTime (at most HoldTime); 0 means MetalLB's
	// defaults (90s and 30s).
	HoldTime      Duration `json:"holdTime,omitzero"`
	KeepaliveTime Duration `json:"keepaliveTime,omitzero"`
	// Password enables TCP MD5 (MetalLB's password field); the router's peer for the nodes
	// must carry the same one.
	Password string `json:"password,omitempty"`
	// Nodes limits the sessions to these nodes (MetalLB nodeSelectors, by node name as
	// Cluster.NodeNames gives them); empty means every node.
	Nodes []string `json:"nodes,omitempty"`
	// Receive lets the nodes install what the router announces within these prefixes (each
	// exactly, or every prefix inside it up to LE bits long). Empty keeps MetalLB's default:
	// the nodes accept nothing from their peers. FRR backend: the bgpextras ConfigMap; frr-k8s:
	// an FRRConfiguration with toReceive; the native speaker cannot receive.
	Receive []ReceivePrefix `json:"receive,omitempty"`
}

// ReceivePrefix is one entry of the prefixes a MetalLB peer's nodes accept.
type ReceivePrefix struct {
	Prefix netip.Prefix `json:"prefix"`
	// LE, when set, also accepts every prefix inside Prefix at most LE bits long (FRR's
	// prefix-list "le"); 0 accepts Prefix alone.
	LE int `json:"le,omitzero"`
}

// Accepts reports whether a route for q passes this entry.
func (r ReceivePrefix) Accepts(q netip.Prefix) bool {
	if r.LE == 0 {
		return q == r.Prefix
	}
	return q.Addr().Is4() == r.Prefix.Addr().Is4() && r.Prefix.Contains(q.Addr()) && q.Bits() >= r.Prefix.Bits() && q.Bits() <= r.LE
}

// BFDProfile is a MetalLB BFDProfile. Zero intervals and multiplier are filled by
// WithDefaults with FRR's defaults (300 ms, 3).
type BFDProfile struct {
	Name string `json:"name"`
	// ReceiveInterval and TransmitInterval in milliseconds, 10..60000.
	ReceiveInterval  uint32 `json:"receiveInterval,omitzero"`
	TransmitInterval uint32 `json:"transmitInterval,omitzero"`
	// DetectMultiplier, 2..255: missed packets before the session is declared down.
	DetectMultiplier uint32 `json:"detectMultiplier,omitzero"`
	// EchoMode is single-hop and IPv4 only (FRR and MetalLB refuse it otherwise).
	// EchoInterval is its transmit interval in milliseconds, 10..60000; 0 leaves MetalLB's
	// default (50).
	EchoMode     bool   `json:"echoMode,omitempty"`
	EchoInterval uint32 `json:"echoInterval,omitzero"`
	// PassiveMode makes the speakers wait for the router to start the BFD session.
	PassiveMode bool `json:"passiveMode,omitempty"`
	// MinimumTTL (1..254) is the lowest TTL accepted on multi-hop sessions; 0 leaves
	// MetalLB's default (254).
	MinimumTTL uint32 `json:"minimumTtl,omitzero"`
}

// BGPAdvertisement is a MetalLB BGPAdvertisement.
type BGPAdvertisement struct {
	// Name of the BGPAdvertisement; default "advertisement-<index>".
	Name string `json:"name,omitempty"`
	// Pools to advertise; empty means every pool, as in MetalLB.
	Pools []string `json:"pools,omitempty"`
	// Communities are "ASN:value" (16-bit each), "large:A:B:C" (32-bit each) or a well-known
	// name (no-export, no-advertise, local-as, no-peer, blackhole, graceful-shutdown,
	// accept-own, llgr-stale, no-llgr; see WellKnownCommunities). MetalLB itself takes no
	// names: write CommunityValue of each entry into its BGPAdvertisement.
	Communities []string `json:"communities,omitempty"`
	// LocalPref is sent to iBGP peers only; 0 means not set.
	LocalPref uint32 `json:"localPref,omitzero"`
	// AggregationLength and AggregationLengthV6 announce the covering prefix of that length
	// instead of each address; 0 means 32 and 128 (no aggregation). A pool's own prefixes
	// must not be longer than the aggregation.
	AggregationLength   int `json:"aggregationLength,omitzero"`
	AggregationLengthV6 int `json:"aggregationLengthV6,omitzero"`
	// Nodes limits the announcing nodes (MetalLB nodeSelectors, by node name); empty means
	// every node.
	Nodes []string `json:"nodes,omitempty"`
	// Peers limits the routers that receive the announcement (MetalLB peers, by router
	// name); empty means every peer.
	Peers []string `json:"peers,omitempty"`
}

// ExternalTrafficPolicy of a LoadBalancer service.
type ExternalTrafficPolicy string

const (
	// ETPCluster: every announcing node forwards to any backend (default).
	ETPCluster ExternalTrafficPolicy = "Cluster"
	// ETPLocal: only nodes with a local backend announce, and the client's address is kept.
	ETPLocal ExternalTrafficPolicy = "Local"
)

// DefaultServiceName is the service a topology without services gets.
const DefaultServiceName = "backend"

// Service is one LoadBalancer service and the Deployment of backends behind it.
type Service struct {
	// Name of the Service and of its Deployment (a DNS label).
	Name string `json:"name"`
	// Pool asks MetalLB for an address from this pool (metallb.io/address-pool).
	Pool string `json:"pool,omitempty"`
	// IPs requests these addresses (metallb.io/loadBalancerIPs), at most one per family.
	IPs []netip.Addr `json:"ips,omitempty"`
	// SharedIP is a sharing key (metallb.io/allow-shared-ip): services with the same key and
	// the same requested IPs share an address, on different ports.
	SharedIP              string                `json:"sharedIP,omitempty"`
	ExternalTrafficPolicy ExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
	// Replicas of the backend. Default: one per node it may run on (Nodes, or the announcing
	// nodes), so that with spreading each of those nodes has a local backend.
	Replicas int `json:"replicas,omitzero"`
	// Nodes the backends may run on, by node name (Cluster.NodeNames); empty means any
	// schedulable node.
	Nodes []string `json:"nodes,omitempty"`
	// Port of the service. Default 80.
	Port int `json:"port,omitzero"`
}

// Service returns the named service.
func (t Topology) Service(name string) (Service, bool) {
	for _, s := range t.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// Duration is a time.Duration written as text ("5s", "1m30s") in YAML.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration like time.Duration.String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses the duration with time.ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 5s or 1m30s)", string(b))
	}
	*d = Duration(v)
	return nil
}

// Nodes is the number of cluster nodes.
func (c Cluster) Nodes() int { return c.ControlPlanes + c.Workers }

// AnnouncingNodes is the number of nodes whose speakers announce service IPs: the workers,
// plus the control planes when ControlPlaneAnnounces. This is the number of BGP sessions and
// ECMP next hops a router peering with the nodes should see.
func (c Cluster) AnnouncingNodes() int {
	if c.ControlPlaneAnnounces {
		return c.Nodes()
	}
	return c.Workers
}

// NodeNames are the cluster's node names as the lab labels them (label NodeLabel) and as
// topologies refer to them in node selectors: "control-plane", then "worker", "worker2",
// ... (kind's own suffixes, without the cluster's name).
func (c Cluster) NodeNames() []string {
	var out []string
	for i := range c.ControlPlanes {
		out = append(out, kindSuffix("control-plane", i))
	}
	for i := range c.Workers {
		out = append(out, kindSuffix("worker", i))
	}
	return out
}

// AnnouncingNodeNames are NodeNames less the control planes unless ControlPlaneAnnounces.
func (c Cluster) AnnouncingNodeNames() []string {
	if c.ControlPlaneAnnounces {
		return c.NodeNames()
	}
	return c.NodeNames()[c.ControlPlanes:]
}

// NodeLabel is the node label the lab sets to each node's name in NodeNames.
const NodeLabel = "peerlab.io/node"

func kindSuffix(role string, i int) string {
	if i == 0 {
		return role
	}
	return fmt.Sprintf("%s%d", role, i+1)
}

// Network returns the named network.
func (t Topology) Network(name string) (Network, bool) {
	for _, n := range t.Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{}, false
}

// Router returns the named router.
func (t Topology) Router(name string) (Router, bool) {
	for _, r := range t.Routers {
		if r.Name == name {
			return r, true
		}
	}
	return Router{}, false
}

// Client returns the named client.
func (t Topology) Client(name string) (Client, bool) {
	for _, c := range t.Clients {
		if c.Name == name {
			return c, true
		}
	}
	return Client{}, false
}

// Families returns the families the cluster uses, IPv4 first.
func (f IPFamily) Families() []IPFamily {
	var out []IPFamily
	if f.HasIPv4() {
		out = append(out, IPv4)
	}
	if f.HasIPv6() {
		out = append(out, IPv6)
	}
	return out
}

// Gateways returns the other routers that r's static routes point at, in
// the order of the topology's routers: the routers r's traffic is forwarded
// through before it has BGP routes of its own.
func (t Topology) Gateways(r Router) []string {
	var out []string
	for _, o := range t.Routers {
		if o.Name == r.Name {
			continue
		}
		if slices.ContainsFunc(r.Routes, func(s StaticRoute) bool {
			return slices.ContainsFunc(o.Interfaces, func(a Attachment) bool { return a.IPv4 == s.Via || a.IPv6 == s.Via })
		}) {
			out = append(out, o.Name)
		}
	}
	return out
}
