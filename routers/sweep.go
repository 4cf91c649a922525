package routers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Sweep removes every container and then every network labelled
// LabelLab=lab, whoever created them: routers, clients, the harness's
// networks. Paused containers are unpaused first so they can be removed.
// Removing what is already gone is not an error, so Sweep can run after a
// normal teardown, after a crash, or twice.
func Sweep(ctx context.Context, lab string) error {
	docker, filter, err := sweepClient(lab)
	if err != nil {
		return err
	}
	defer docker.Close()
	errs := []error{removeContainers(ctx, docker, lab, filter)}
	nets, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("sweep lab %s: list networks: %w", lab, err))...)
	}
	for _, n := range nets.Items {
		_, err := docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("sweep lab %s: remove network %s: %w", lab, n.Name, err))
		}
	}
	return errors.Join(errs...)
}

// SweepContainers is the first half of Sweep: the lab's labelled
// containers only, so that it can run beside something else that still
// uses the lab's networks (kind's delete of the cluster nodes).
func SweepContainers(ctx context.Context, lab string) error {
	docker, filter, err := sweepClient(lab)
	if err != nil {
		return err
	}
	defer docker.Close()
	return removeContainers(ctx, docker, lab, filter)
}

func sweepClient(lab string) (*client.Client, client.Filters, error) {
	if lab == "" {
		// An empty value would select nothing here, but a caller passing ""
		// almost certainly lost its lab id; say so instead of doing nothing.
		return nil, nil, errors.New("sweep: empty lab id")
	}
	docker, err := NewDockerClient()
	if err != nil {
		return nil, nil, err
	}
	return docker, client.Filters{}.Add("label", LabelLab+"="+lab), nil
}

// removeContainers force-removes the containers the filter selects, all at
// once (each removal mostly waits on the container's processes to die).
func removeContainers(ctx context.Context, docker *client.Client, lab string, filter client.Filters) error {
	ctrs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return fmt.Errorf("sweep lab %s: list containers: %w", lab, err)
	}
	errs := make([]error, len(ctrs.Items))
	var wg sync.WaitGroup
	for i, c := range ctrs.Items {
		wg.Go(func() {
			if c.State == "paused" {
				_, _ = docker.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{})
			}
			_, err := docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				errs[i] = fmt.Errorf("sweep lab %s: remove container %s: %w", lab, c.ID[:12], err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
