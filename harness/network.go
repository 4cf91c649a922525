package harness

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/peerlab/peerlab/topologies"
)

// Labels on everything a lab creates in Docker, so leftovers can be found
// and swept by lab id.
const (
	LabelLab       = "io.peerlab.lab"
	LabelComponent = "io.peerlab.component"
)

// newDockerClient returns a client that negotiates the API version, so it
// works with older daemons such as Docker 20.10.
func newDockerClient() (*client.Client, error) {
	return client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
}

// labNetwork is one Docker network of a lab.
type labNetwork struct {
	topo   topologies.Network
	name   string // docker network name
	bridge string // Linux bridge name, chosen up front so the egress guard can name it
	id     string
}

// networkPlan names a lab's Docker networks and bridges. Bridge names are
// limited to 15 characters, hence the short form.
func networkPlan(labID string, t topologies.Topology) []*labNetwork {
	var out []*labNetwork
	for i, n := range t.Networks {
		out = append(out, &labNetwork{
			topo:   n,
			name:   fmt.Sprintf("peerlab-%s-%s", labID, n.Name),
			bridge: fmt.Sprintf("pl%s-%d", labID, i),
		})
	}
	return out
}

// checkSubnetsFree fails, naming both sides, when a lab subnet overlaps a
// Docker network that already exists (another lab, kind's own network):
// two bridges with overlapping routes would break both.
func checkSubnetsFree(ctx context.Context, dc *client.Client, plan []*labNetwork) error {
	existing, err := dc.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return fmt.Errorf("list docker networks: %w", err)
	}
	var problems []string
	for _, ln := range plan {
		for _, want := range []netip.Prefix{ln.topo.IPv4, ln.topo.IPv6} {
			if !want.IsValid() {
				continue
			}
			for _, e := range existing {
				for _, cfg := range e.IPAM.Config {
					have, err := netip.ParsePrefix(cfg.Subnet)
					if err != nil || !have.Overlaps(want) {
						continue
					}
					hint := "remove it or change the topology's subnet"
					if lab := e.Labels[LabelLab]; lab != "" {
						hint = fmt.Sprintf("it belongs to lab %s: run 'peerlab down --lab %s', or change the topology's subnet", lab, lab)
					}
					problems = append(problems, fmt.Sprintf("network %q subnet %s overlaps docker network %q (%s): %s", ln.topo.Name, want, e.Name, have, hint))
				}
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("lab subnets are not free:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// createNetwork creates one lab network: explicit subnets, gateway .1, the
// upper half for Docker's dynamic addresses (kind nodes), and no
// masquerading, so nothing from the lab is translated onto the host's
// uplink.
func createNetwork(ctx context.Context, dc *client.Client, labID string, ln *labNetwork) error {
	var ipam []network.IPAMConfig
	for _, p := range []netip.Prefix{ln.topo.IPv4, ln.topo.IPv6} {
		if !p.IsValid() {
			continue
		}
		dyn, err := topologies.DynamicRange(p)
		if err != nil {
			return err
		}
		ipam = append(ipam, network.IPAMConfig{Subnet: p.String(), IPRange: dyn.String(), Gateway: topologies.Gateway(p).String()})
	}
	enable6 := ln.topo.IPv6.IsValid()
	resp, err := dc.NetworkCreate(ctx, ln.name, network.CreateOptions{
		Driver:     "bridge",
		EnableIPv6: &enable6,
		IPAM:       &network.IPAM{Driver: "default", Config: ipam},
		Options: map[string]string{
			"com.docker.network.bridge.name":                 ln.bridge,
			"com.docker.network.bridge.enable_ip_masquerade": "false",
		},
		Labels: map[string]string{LabelLab: labID, LabelComponent: "network"},
	})
	if err != nil {
		return fmt.Errorf("create docker network %s: %w", ln.name, err)
	}
	ln.id = resp.ID
	return nil
}

// removeLabNetworks removes every network labelled with the lab id. Kind's
// nodes and the routers must be gone first; a network still in use is
// reported, not forced.
func removeLabNetworks(ctx context.Context, dc *client.Client, labID string) error {
	nets, err := dc.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelLab+"="+labID))})
	if err != nil {
		return err
	}
	var errs []string
	for _, n := range nets {
		if err := dc.NetworkRemove(ctx, n.ID); err != nil && !client.IsErrNotFound(err) {
			errs = append(errs, fmt.Sprintf("remove network %s: %v", n.Name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
