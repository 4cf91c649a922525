package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// Info is what 'peerlab list' shows of a lab, read without touching it.
type Info struct {
	ID       string    `json:"id"`
	Topology string    `json:"topology"`
	Created  time.Time `json:"created"`
	// Containers counts the lab's Docker containers (kind nodes, routers,
	// clients) by state ("running", "exited", ...).
	Containers map[string]int `json:"containers"`
	// Expected is how many containers the topology has.
	Expected int    `json:"expected"`
	StateDir string `json:"stateDir"`
}

// Inspect reads a lab's state directory and its containers' states.
func Inspect(ctx context.Context, id string) (Info, error) {
	root, err := StateRoot()
	if err != nil {
		return Info{}, err
	}
	info := Info{ID: id, StateDir: filepath.Join(root, id), Containers: map[string]int{}}
	// The oldest file of the state directory is as old as the lab (its
	// state is written first, and rewritten later).
	if entries, err := os.ReadDir(info.StateDir); err == nil {
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && (info.Created.IsZero() || fi.ModTime().Before(info.Created)) {
				info.Created = fi.ModTime()
			}
		}
	}
	l, err := loadTopologyOf(info.StateDir)
	if err == nil {
		info.Topology = l.Name
		info.Expected = l.Cluster.Nodes() + len(l.Routers) + len(l.Clients)
	}
	dc, err := newDockerClient()
	if err != nil {
		return info, err
	}
	defer dc.Close()
	cs, err := dc.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", "peerlab-"+id+"-"))})
	if err != nil {
		return info, err
	}
	for _, c := range cs {
		for _, n := range c.Names {
			if strings.HasPrefix(strings.TrimPrefix(n, "/"), "peerlab-"+id+"-") {
				info.Containers[c.State]++
				break
			}
		}
	}
	return info, nil
}
