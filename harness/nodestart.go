package harness

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// startNodeIsolated starts a stopped node container with its lab network
// attached only after the node's boot routes are in. Started as is, the
// node's interface comes up with Docker's default route before anything in
// the container runs, and the packets other nodes queued for its pods while
// it was down (ARP releases them at once) follow that route out of the lab:
// the egress guard counted five SYNs 180 ms after a start. Started without
// the network, peerlab-boot-routes.sh puts the unreachable pod routes in
// first (they need no interface) and waits for the interface, which is then
// connected with the node's old addresses.
func (l *Lab) startNodeIsolated(ctx context.Context, ctr string) error {
	info, err := l.docker.ContainerInspect(ctx, ctr)
	if err != nil {
		return err
	}
	name := l.NetworkName(l.topo.Cluster.Network)
	ep, ok := info.NetworkSettings.Networks[name]
	if !ok {
		return fmt.Errorf("node %s is not on %s", ctr, name)
	}
	ipam := &network.EndpointIPAMConfig{IPv4Address: ep.IPAddress, IPv6Address: ep.GlobalIPv6Address}
	if err := l.docker.NetworkDisconnect(ctx, name, ctr, true); err != nil {
		return fmt.Errorf("detach %s from %s: %w", ctr, name, err)
	}
	if err := l.docker.ContainerStart(ctx, ctr, container.StartOptions{}); err != nil {
		return err
	}
	if err := l.docker.NetworkConnect(ctx, name, ctr, &network.EndpointSettings{IPAMConfig: ipam}); err != nil {
		return fmt.Errorf("attach %s to %s again: %w", ctr, name, err)
	}
	return nil
}
