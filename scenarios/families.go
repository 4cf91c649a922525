package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/topologies"
)

// ServiceFamilies: every service has exactly one LoadBalancer address per
// family of the cluster (a dual-stack lab's services are RequireDualStack),
// from pools of that family.
func ServiceFamilies(ctx context.Context, lab *harness.Lab) error {
	t := lab.Topology()
	var errs []error
	for _, svc := range t.Services {
		ips, err := lab.ServiceIPs(ctx, svc.Name)
		if err != nil {
			return err
		}
		got := map[topologies.IPFamily][]netip.Addr{}
		for _, ip := range ips {
			got[topologies.FamilyOf(ip)] = append(got[topologies.FamilyOf(ip)], ip)
		}
		for _, f := range t.Cluster.IPFamily.Families() {
			if len(got[f]) != 1 {
				errs = append(errs, fmt.Errorf("service %s: %d %s LoadBalancer addresses %v, want 1 (cluster family %s; all: %v)", svc.Name, len(got[f]), f, got[f], t.Cluster.IPFamily, ips))
			}
			delete(got, f)
		}
		for f, extra := range got {
			errs = append(errs, fmt.Errorf("service %s: %s addresses %v in a %s cluster", svc.Name, f, extra, t.Cluster.IPFamily))
		}
	}
	return errors.Join(errs...)
}
