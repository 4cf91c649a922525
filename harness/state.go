package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"sigs.k8s.io/kind/pkg/cluster"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// labState is what a lab writes to its state directory so another process
// (peerlab status, peerlab down) can find it again.
type labState struct {
	ID         string            `json:"id"`
	Topology   string            `json:"topology"`
	Images     images.Refs       `json:"images"`
	Containers map[string]string `json:"containers"` // topology name -> container name
}

func (l *Lab) kindProvider() *cluster.Provider {
	return cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindLogger{mu: &l.outMu, out: l.out}))
}

func (l *Lab) saveState() error {
	if err := os.MkdirAll(l.stateDir, 0o755); err != nil {
		return err
	}
	topo, err := topologies.Marshal(l.topo)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.stateFile("topology.yaml"), topo, 0o644); err != nil {
		return err
	}
	st := labState{ID: l.id, Topology: l.topo.Name, Images: l.refs, Containers: map[string]string{}}
	for n, c := range l.attached {
		st.Containers[n] = c
	}
	for n, f := range l.routers {
		st.Containers[n] = f.Name()
	}
	for n, h := range l.clients {
		st.Containers[n] = h.Name()
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(l.stateFile("lab.json"), b, 0o644)
}

// StateRoot is where labs keep their state by default.
func StateRoot() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "peerlab", "labs"), nil
}

// Running lists the ids of labs that have state on this machine.
func Running() ([]string, error) {
	root, err := StateRoot()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "lab.json")); err == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Attach returns a handle on a lab another process brought up, from its
// state directory. The handle can query, dump and take the lab down; its
// routers are reachable through executors only.
func Attach(ctx context.Context, id string, opts ...Option) (*Lab, error) {
	root, err := StateRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, id)
	raw, err := os.ReadFile(filepath.Join(dir, "lab.json"))
	if err != nil {
		return nil, fmt.Errorf("no lab %q on this machine (%v); 'peerlab list' lists labs", id, err)
	}
	var st labState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("lab %s state: %w", id, err)
	}
	topo, err := loadTopologyOf(dir)
	if err != nil {
		return nil, fmt.Errorf("lab %s state: %w", id, err)
	}
	l, err := New(topo, append([]Option{WithID(id), WithStateDir(dir)}, opts...)...)
	if err != nil {
		return nil, err
	}
	l.refs = st.Images
	dc, err := newDockerClient()
	if err != nil {
		return nil, err
	}
	l.docker = dc
	// Executors use the moby client that the routers package is built on.
	mc, err := routers.NewDockerClient()
	if err != nil {
		return nil, err
	}
	l.attached = st.Containers
	for n, c := range st.Containers {
		l.execs[n] = routers.NewShellExecutor(mc, c)
	}
	l.cluster = &kindCluster{provider: l.kindProvider(), name: l.ClusterName()}
	if err := l.cluster.connect(); err != nil {
		return l, fmt.Errorf("lab %s: cluster %s unreachable (%v); 'peerlab down --lab %s' removes what is left", id, l.ClusterName(), err, id)
	}
	return l, nil
}

// SweepAll removes every peerlab lab on this machine, with or without state:
// kind clusters named peerlab-*, labelled containers and networks, guard
// chains (also orphaned ones), state directories. For CI and for cleaning up after crashes.
func SweepAll(ctx context.Context) error {
	ids := map[string]bool{}
	if running, err := Running(); err == nil {
		for _, id := range running {
			ids[id] = true
		}
	}
	p := cluster.NewProvider(cluster.ProviderWithDocker())
	if names, err := p.List(); err == nil {
		for _, n := range names {
			if id, ok := strings.CutPrefix(n, "peerlab-"); ok {
				ids[id] = true
			}
		}
	}
	dc, err := newDockerClient()
	if err != nil {
		return err
	}
	defer dc.Close()
	labelled, err := labelledLabIDs(ctx, dc)
	if err != nil {
		return err
	}
	for _, id := range labelled {
		ids[id] = true
	}
	for _, id := range guardChainIDs(ctx) {
		ids[id] = true
	}
	root, err := StateRoot()
	if err != nil {
		return err
	}
	var errs []string
	for id := range ids {
		if err := remove(ctx, dc, root, id); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Remove takes down a lab by id alone, whatever state it is in (half made,
// its process gone, no state directory).
func Remove(ctx context.Context, id string) error {
	root, err := StateRoot()
	if err != nil {
		return err
	}
	dc, err := newDockerClient()
	if err != nil {
		return err
	}
	defer dc.Close()
	return remove(ctx, dc, root, id)
}

func remove(ctx context.Context, dc *client.Client, root, id string) error {
	l := &Lab{id: id, out: os.Stderr, guard: newEgressGuard(id, nil), stateDir: filepath.Join(root, id), docker: dc}
	return l.teardown(ctx)
}

// labelledLabIDs lists the lab ids found on Docker containers and networks.
func labelledLabIDs(ctx context.Context, dc *client.Client) ([]string, error) {
	var ids []string
	f := filters.NewArgs(filters.Arg("label", LabelLab))
	cs, err := dc.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		ids = append(ids, c.Labels[LabelLab])
	}
	ns, err := dc.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		ids = append(ids, n.Labels[LabelLab])
	}
	return ids, nil
}

// loadTopologyOf reads the topology a lab keeps in its state directory.
func loadTopologyOf(dir string) (topologies.Topology, error) {
	return topologies.Load(filepath.Join(dir, "topology.yaml"))
}
