package routers

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
)

// BFDCounter is one session's packet and event counters from `show bfd
// peers counters json`. Counters start when bfdd creates the session and
// are never reset by a session going down.
type BFDCounter struct {
	Peer      netip.Addr
	Local     netip.Addr
	Interface string
	VRF       string
	Multihop  bool
	// ID is the session's local discriminator (BFDPeer.ID).
	ID uint32
	// SessionUp and SessionDown count the session's transitions to up and
	// to down ("session-up", "session-down"): a session that went down and
	// came back once reads 2 and 1.
	SessionUp, SessionDown uint64
	// ControlPacketsIn and ControlPacketsOut count BFD control packets
	// received and sent; ControlPacketsBadIn the received ones bfdd dropped
	// as invalid (FRR 10.7 "controlPacketBadInput"; one is common right
	// after start, before the remote discriminator is known).
	ControlPacketsIn, ControlPacketsOut, ControlPacketsBadIn uint64
	// EchoPacketsIn and EchoPacketsOut count echo packets (zero unless
	// echo mode is on).
	EchoPacketsIn, EchoPacketsOut uint64
	// ZebraNotifications counts the state updates bfdd sent to its client
	// daemons (bgpd) through zebra.
	ZebraNotifications uint64
}

// BFDCounters lists the packet and event counters of bfdd's sessions,
// sorted by peer address.
func (q *Querier) BFDCounters(ctx context.Context) ([]BFDCounter, error) {
	var cs []BFDCounter
	err := q.vtyshJSON(ctx, "show bfd peers counters json", func(b []byte) (err error) {
		cs, err = parseBFDCounters(b)
		return err
	})
	return cs, err
}

type rawBFDCounter struct {
	Multihop            bool     `json:"multihop"`
	Peer                string   `json:"peer"`
	Local               string   `json:"local"`
	VRF                 string   `json:"vrf"`
	Interface           string   `json:"interface"`
	ID                  uint32   `json:"id"`
	ControlPacketInput  jsonUint `json:"control-packet-input"`
	ControlPacketBadIn  jsonUint `json:"controlPacketBadInput"`
	ControlPacketOutput jsonUint `json:"control-packet-output"`
	EchoPacketInput     jsonUint `json:"echo-packet-input"`
	EchoPacketOutput    jsonUint `json:"echo-packet-output"`
	SessionUp           jsonUint `json:"session-up"`
	SessionDown         jsonUint `json:"session-down"`
	ZebraNotifications  jsonUint `json:"zebra-notifications"`
}

func parseBFDCounters(b []byte) ([]BFDCounter, error) {
	var raw []rawBFDCounter
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	out := make([]BFDCounter, 0, len(raw))
	for _, r := range raw {
		peer, err := netip.ParseAddr(r.Peer)
		if err != nil {
			return nil, fmt.Errorf("bfd counters of peer %q: %w", r.Peer, err)
		}
		c := BFDCounter{
			Peer: peer, Interface: r.Interface, VRF: r.VRF, Multihop: r.Multihop, ID: r.ID,
			SessionUp: uint64(r.SessionUp), SessionDown: uint64(r.SessionDown),
			ControlPacketsIn: uint64(r.ControlPacketInput), ControlPacketsOut: uint64(r.ControlPacketOutput),
			ControlPacketsBadIn: uint64(r.ControlPacketBadIn),
			EchoPacketsIn:       uint64(r.EchoPacketInput), EchoPacketsOut: uint64(r.EchoPacketOutput),
			ZebraNotifications: uint64(r.ZebraNotifications),
		}
		if a, err := netip.ParseAddr(r.Local); err == nil {
			c.Local = a
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b BFDCounter) int { return a.Peer.Compare(b.Peer) })
	return out, nil
}
