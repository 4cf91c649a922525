package harness

import (
	"fmt"
	"strings"

	"github.com/peerlab/peerlab/topologies"
)

// Live misconfigurations of a router's session with the nodes, made with
// vtysh on the running router and taken back the same way; 'peerlab apply'
// of the lab's topology repairs them too.
const (
	// FaultWrongASN makes the router expect another AS from the nodes:
	// their OPENs are refused with Bad Peer AS.
	FaultWrongASN FaultKind = "wrong-asn"
	// FaultMD5 gives the router's node sessions a password the nodes do
	// not have: no TCP session completes, and no NOTIFICATION says why.
	FaultMD5 FaultKind = "md5"
)

// wrongASNFor is the AS a wrong-asn fault makes the router expect: one
// that no lab part uses.
func wrongASNFor(right uint32) uint32 {
	if right == 64999 {
		return 64998
	}
	return 64999
}

// faultPassword is the password an md5 fault sets.
const faultPassword = "peerlab-fault-not-the-nodes-password"

// peerFaultScript is the vtysh call that applies (on) or takes back a
// misconfiguration of the router's "nodes" peer group.
func peerFaultScript(r topologies.Router, kind FaultKind, on bool) (string, error) {
	var peer *topologies.Peer
	for i := range r.Peers {
		if r.Peers[i].Nodes {
			peer = &r.Peers[i]
		}
	}
	if peer == nil {
		return "", fmt.Errorf("%s: router %s has no session with the nodes", kind, r.Name)
	}
	var line string
	switch {
	case kind == FaultWrongASN && on:
		line = fmt.Sprintf("neighbor %s remote-as %d", nodesPeerGroup, wrongASNFor(peer.ASN))
	case kind == FaultWrongASN:
		line = fmt.Sprintf("neighbor %s remote-as %d", nodesPeerGroup, peer.ASN)
	case kind == FaultMD5 && on:
		line = fmt.Sprintf("neighbor %s password %s", nodesPeerGroup, faultPassword)
	case kind == FaultMD5 && peer.Password != "":
		line = fmt.Sprintf("neighbor %s password %s", nodesPeerGroup, peer.Password)
	case kind == FaultMD5:
		line = fmt.Sprintf("no neighbor %s password", nodesPeerGroup)
	default:
		return "", fmt.Errorf("%s is not a peer misconfiguration", kind)
	}
	args := []string{"configure terminal", fmt.Sprintf("router bgp %d", r.ASN), line}
	var b strings.Builder
	b.WriteString("vtysh")
	for _, a := range args {
		fmt.Fprintf(&b, " -c '%s'", a)
	}
	return b.String(), nil
}
