package harness

import (
	"context"
	"fmt"

	"github.com/peerlab/peerlab/routers"
)

// OnNode runs fn with an executor for a node's container (by its
// Kubernetes name, as Node.Name gives it): the node's own network
// namespace, where the speakers' FRR installs what it receives, so
// routers.NewQuerier(e).KernelRoute reads the node's kernel.
func (l *Lab) OnNode(ctx context.Context, node string, fn func(e routers.Executor) error) error {
	nodes, err := l.Nodes(ctx)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if n.Name != node {
			continue
		}
		mc, err := routers.NewDockerClient()
		if err != nil {
			return err
		}
		defer mc.Close()
		return fn(routers.NewDockerExecutor(mc, n.Name))
	}
	return fmt.Errorf("lab %s has no node %q", l.id, node)
}
