// Package routers runs FRR routers for peerlab and answers "what does the
// router see" with typed values.
//
// It has four parts, each usable alone:
//
//   - Spec: a typed description of a router (BGP neighbors, peer groups,
//     listen ranges, BFD profiles, ECMP, originated prefixes, static routes,
//     route-maps, debug logging). Validate names the offending field;
//     Render turns a valid Spec into frr.conf, daemons and vtysh.conf text.
//   - FRR: a router container started with testcontainers-go from a Spec
//     (Start), with live reconfiguration (Apply, through frr-reload.py) and
//     fault injection (Pause, Stop, Restart, ...). Sweep removes everything a
//     lab created, by label.
//   - Executor and Querier: one query API over any place FRR runs. A
//     DockerExecutor reaches a container, a PodExecutor reaches the frr
//     container of a MetalLB speaker pod; the Querier runs vtysh and ip
//     commands through either and decodes their JSON into Go types.
//   - Checks (NeighborsEstablished, BFDPeersUp, RouteNextHops, ...): plain
//     predicates that return an error saying what was expected and what was
//     seen, so the same check serves a one-shot assertion and a polled wait.
//
// Nothing outside this package needs to build a vtysh command or parse FRR
// output; Dump collects everything useful for a post-mortem.
package routers
