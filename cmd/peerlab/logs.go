package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/routers"
	"github.com/peerlab/peerlab/topologies"
)

// runLogs: peerlab logs [--lab ID] [-f] [--tail N] NAME prints the log that
// matters for each part of a lab: a router's FRR log, a client's container
// log, a node's kubelet journal, a MetalLB speaker's or controller's pod
// log (speaker/NODE, controller).
func runLogs(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	follow := fs.Bool("f", false, "follow the log")
	tail := fs.Int("tail", 200, "lines from the end (0: all)")
	container := fs.String("c", "", "speaker/NODE: the pod's container (speaker (default), frr, reloader, frr-metrics); frr-k8s/NODE: frr (default), controller, reloader, frr-status")
	unit := fs.String("unit", "kubelet", "nodes only: the systemd unit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab logs [--lab ID] [-f] [--tail N] NAME\n\n"+
			"NAME is a router (its FRR log), a client (its container log), a node such as\n"+
			"worker (journal of --unit, default kubelet), speaker/NODE (the MetalLB speaker\n"+
			"pod on that node; -c frr for its FRR), frr-k8s/NODE (with the frr-k8s backend,\n"+
			"the frr-k8s pod on that node: its FRR; -c controller for its controller) or\n"+
			"controller (MetalLB's controller).\n\nflags:\n")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("give one name (a router, client, node, speaker/NODE, frr-k8s/NODE or controller)")
	}
	if *tail < 0 {
		return fmt.Errorf("--tail %d: want 0 or more lines", *tail)
	}
	name := pos[0]
	lab, err := attachLab(ctx, *id)
	if err != nil {
		return err
	}
	t := lab.Topology()
	pick := func(def string) string {
		if *container != "" {
			return *container
		}
		return def
	}
	if node, ok := strings.CutPrefix(name, "speaker/"); ok {
		if !slices.Contains(t.Cluster.NodeNames(), node) {
			return fmt.Errorf("lab %s has no node %q (nodes: %s)", lab.ID(), node, strings.Join(t.Cluster.NodeNames(), ", "))
		}
		return podLogs(ctx, lab, harness.SpeakerSelector, lab.ClusterName()+"-"+node, pick("speaker"), *tail, *follow)
	}
	if node, ok := strings.CutPrefix(name, "frr-k8s/"); ok {
		if b := lab.Backend(); b != topologies.BackendFRRK8s {
			return fmt.Errorf("lab %s runs MetalLB's %s backend, which has no frr-k8s pods: frr-k8s/NODE is for labs with backend frr-k8s (an frr lab's FRR: speaker/NODE -c frr)", lab.ID(), b)
		}
		if !slices.Contains(t.Cluster.NodeNames(), node) {
			return fmt.Errorf("lab %s has no node %q (nodes: %s)", lab.ID(), node, strings.Join(t.Cluster.NodeNames(), ", "))
		}
		return podLogs(ctx, lab, "app=frr-k8s", lab.ClusterName()+"-"+node, pick("frr"), *tail, *follow)
	}
	if name == "controller" {
		return podLogs(ctx, lab, "component=controller", "", pick("controller"), *tail, *follow)
	}
	ctr, err := containerOf(ctx, lab.ID(), name)
	if err != nil {
		return fmt.Errorf("%w, speaker/NODE, frr-k8s/NODE or controller", err)
	}
	n := strconv.Itoa(*tail)
	if *tail == 0 {
		n = "+1"
	}
	switch {
	case slices.ContainsFunc(t.Routers, func(r topologies.Router) bool { return r.Name == name }):
		cmd := []string{"tail", "-n", n}
		if *follow {
			cmd = append(cmd, "-F")
		}
		return dockerExec(ctx, ctr, append(cmd, routers.DefaultLogFile))
	case slices.Contains(t.Cluster.NodeNames(), name):
		cmd := []string{"journalctl", "--no-pager", "-u", *unit}
		if *tail > 0 {
			cmd = append(cmd, "-n", strconv.Itoa(*tail))
		}
		if *follow {
			cmd = append(cmd, "-f")
		}
		return dockerExec(ctx, ctr, cmd)
	default:
		cmd := []string{"logs"}
		if *tail > 0 {
			cmd = append(cmd, "--tail", strconv.Itoa(*tail))
		}
		if *follow {
			cmd = append(cmd, "-f")
		}
		return dockerCommand(ctx, append(cmd, ctr)...)
	}
}

// podLogs streams a MetalLB pod's log (the one on node, if given).
func podLogs(ctx context.Context, lab *harness.Lab, selector, node, container string, tail int, follow bool) error {
	cs, _, err := lab.Kubernetes()
	if err != nil {
		return err
	}
	pods, err := cs.CoreV1().Pods(harness.MetalLBNamespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		if node != "" && p.Spec.NodeName != node {
			continue
		}
		opts := &corev1.PodLogOptions{Container: container, Follow: follow}
		if tail > 0 {
			opts.TailLines = ptrInt64(int64(tail))
		}
		rc, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, opts).Stream(ctx)
		if err != nil {
			return fmt.Errorf("pod %s container %s: %w", p.Name, container, err)
		}
		defer rc.Close()
		_, err = io.Copy(os.Stdout, rc)
		if ctx.Err() != nil {
			return nil // Ctrl-C ends a follow
		}
		return err
	}
	return fmt.Errorf("no MetalLB pod %s%s in lab %s", selector, map[bool]string{true: " on " + node, false: ""}[node != ""], lab.ID())
}

// dockerCommand runs the docker CLI with the terminal's output.
func dockerCommand(ctx context.Context, args ...string) error {
	c := exec.CommandContext(ctx, "docker", args...)
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	if err := c.Run(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func ptrInt64(v int64) *int64 { return &v }
