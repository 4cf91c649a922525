package routers

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Sweep removes every container and then every network labelled
// LabelLab=lab, whoever created them: routers, clients, the harness's
// networks. Paused containers are unpaused first so they can be removed.
// Removing what is already gone is not an error, so Sweep can run after a
// normal teardown, after a crash, or twice.
func Sweep(ctx context.Context, lab string) error {
	if lab == "" {
		// An empty value would select nothing here, but a caller passing ""
		// almost certainly lost its lab id; say so instead of doing nothing.
		return errors.New("sweep: empty lab id")
	}
	docker, err := NewDockerClient()
	if err != nil {
		return err
	}
	defer docker.Close()
	filter := client.Filters{}.Add("label", LabelLab+"="+lab)

	var errs []error
	ctrs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return fmt.Errorf("sweep lab %s: list containers: %w", lab, err)
	}
	for _, c := range ctrs.Items {
		if c.State == "paused" {
			_, _ = docker.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{})
		}
		_, err := docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("sweep lab %s: remove container %s: %w", lab, c.ID[:12], err))
		}
	}
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
