// Package topologies describes a peerlab lab as plain data: the kind cluster, the Docker
// networks, the FRR routers, the external clients, the MetalLB configuration and the test
// services.
//
// A Topology is written in YAML (see examples/) or built in Go (see SingleHop, MultiHop and
// Reference).
// It imports nothing else of peerlab: the harness reads it, never the other way round.
//
// The life of a topology has three separate steps, so that each stays simple and testable:
//
//	t, err := topologies.Load("lab.yaml") // strict decode: unknown fields are errors
//	t = t.WithDefaults()                  // fill every field left empty; idempotent
//	err = t.Validate()                    // every problem at once, each naming its field
//
// Prepare does the last two in one call. Validate checks the values as given: a field that
// WithDefaults would have filled is reported as "not set", so the harness can rely on every
// field being explicit once Validate has passed.
//
// # Addressing rules the harness relies on
//
// Every lab network is a Docker network created by the harness with an explicit subnet per
// family. Docker allocates the kind nodes' addresses dynamically, so the harness restricts
// that allocation to the upper half of each subnet (DynamicRange, passed to Docker as the
// IP range) and passes the gateway explicitly, at the end of that range (Gateway), so the
// first host (.1) is free for a router. Routers and clients get static addresses, which
// Validate requires to be in the lower half, away from the network address. The two can
// therefore never collide, whatever the number of nodes.
//
// Error paths name elements the way a reader finds them in the YAML: a list element that has
// a unique name is shown by name (routers[edge]), any other by index (peers[0]).
package topologies
