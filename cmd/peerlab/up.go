package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/internal/bundle"
	"github.com/peerlab/peerlab/scenarios"
	"github.com/peerlab/peerlab/topologies"
)

// runUp: peerlab up [--topology NAME | -f FILE]
func runUp(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	name := fs.String("topology", "single-hop", "builtin topology: "+strings.Join(topologies.Names(), ", "))
	file := fs.String("f", "", "topology YAML file (instead of --topology)")
	mode := fs.String("images", envOr("PEERLAB_IMAGES", "auto"), "where images come from: auto, offline or upstream")
	id := fs.String("id", "", "lab id (6 hex digits; default random)")
	keep := fs.Bool("keep-on-failure", false, "leave a lab that failed to come up in place for inspection")
	familyFlag(fs)
	bundleFile := fs.String("bundle", "", "bring up the lab of a repro bundle (peerlab bundle) and run its checks")
	metallbSrc := fs.String("metallb-src", "", "run MetalLB built from this source tree (a MetalLB checkout) instead of "+images.MetalLBVersion+": controller, speaker and manifests, cached by the tree's content")
	var imageRefs imageRefFlag
	fs.Var(&imageRefs, "metallb-image", "NAME=REF: run this local image for "+string(images.MetalLBController)+", "+string(images.MetalLBSpeaker)+", "+string(images.Manifests)+" or "+string(images.FRRK8s)+" (repeatable)")
	subnets := fs.String("subnets", "", "auto: move the lab's networks to free subnets when another lab holds them; fixed: the topology's own or an error (default: auto for builtins, fixed for -f files)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab up [--topology NAME | -f FILE | --bundle FILE] [--family ipv4|ipv6|dual] [--backend frr|native|frr-k8s] [flags]\n\nBrings up a lab and leaves it running.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v (use -f FILE for a topology file)", fs.Args())
	}
	var (
		topo     topologies.Topology
		manifest *bundle.Manifest
		err      error
	)
	if *bundleFile != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "topology", "f", "family", "backend", "metallb-src", "metallb-image":
				clash = append(clash, "--"+f.Name)
			}
		})
		if len(clash) > 0 {
			return fmt.Errorf("--bundle brings up the bundle's own topology: drop %s", strings.Join(clash, ", "))
		}
		m, t, err := bundle.Read(*bundleFile)
		if err != nil {
			return err
		}
		topo, manifest = t, &m
	} else if topo, err = loadTopology(*name, *file, fs); err != nil {
		return err
	}
	m, err := images.ParseMode(*mode)
	if err != nil {
		return err
	}
	kit, err := images.New(images.WithMode(m))
	if err != nil {
		return err
	}
	if manifest != nil {
		// The same images or none: resolve them now (building what is
		// missing from this checkout's inputs) and compare with the bundle
		// before anything of the lab exists.
		refs, err := kit.Ensure(ctx)
		if err != nil {
			return err
		}
		sts, err := kit.List(ctx)
		if err != nil {
			return err
		}
		if err := manifest.CheckCompatible(bundle.PeerlabVersion(), refs, sts); err != nil {
			return err
		}
		fmt.Printf("bundle: lab %s (%s) of %s, peerlab %s; images match\n", manifest.Lab, manifest.Topology, manifest.Created.Format(time.RFC3339), manifest.Versions.Peerlab)
	}
	opts := []harness.Option{harness.WithImages(kit)}
	refs := images.Refs{}
	if *metallbSrc != "" {
		if refs, err = kit.MetalLBSource(ctx, *metallbSrc); err != nil {
			return err
		}
	}
	for n, r := range imageRefs {
		refs[n] = r
	}
	if len(refs) > 0 {
		opts = append(opts, harness.WithImageRefs(refs))
	}
	switch *subnets {
	case "auto":
		opts = append(opts, harness.WithFreeSubnets())
	case "":
		if *file == "" {
			// Builtins and bundles: their subnets are not the user's choice.
			opts = append(opts, harness.WithFreeSubnets())
		}
	case "fixed":
	default:
		return fmt.Errorf("--subnets %s: want auto or fixed", *subnets)
	}
	if *id != "" {
		opts = append(opts, harness.WithID(*id))
	}
	lab, err := harness.New(topo, opts...)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := lab.Up(ctx); err != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		if ctx.Err() != nil {
			// Interrupted (Ctrl-C, SIGTERM): the user wants it gone, not
			// dumped; a second signal is not needed and is ignored.
			err = fmt.Errorf("interrupted: %w", err)
			fmt.Fprintf(os.Stderr, "peerlab up: interrupted; removing lab %s\n", lab.ID())
		} else {
			dir, _ := filepath.Abs(filepath.Join("peerlab-artifacts", lab.ID()))
			if derr := lab.Dump(dctx, dir); derr != nil {
				fmt.Fprintf(os.Stderr, "dump: %v\n", derr)
			}
			fmt.Fprintf(os.Stderr, "artifacts: %s\n", dir)
		}
		if *keep {
			return fmt.Errorf("%w\n(lab %s left in place: peerlab down --lab %s removes it)", err, lab.ID(), lab.ID())
		}
		if derr := lab.Down(dctx); derr != nil {
			fmt.Fprintf(os.Stderr, "down: %v\n", derr)
		}
		return err
	}
	fmt.Printf("\nlab %s (%s) is up in %s\n\n%s\n", lab.ID(), topo.Name, time.Since(start).Round(time.Second), harness.PhaseTable(lab.Timings()))
	// Sessions take some seconds after MetalLB configures the speakers; say
	// when the lab is green, or what is still wrong (the lab stays up).
	checks := scenarios.All(scenarios.SessionsEstablished, scenarios.BFDUp, scenarios.ECMPNextHops)
	up, err := scenarios.MeasureUp(ctx, lab, time.Now(), 2*time.Minute)
	fmt.Printf("convergence after up (lab-up report):\n%s\n", up.Table())
	if err == nil {
		err = scenarios.HoldGreen(ctx, lab, 10*time.Second, checks)
	}
	if err != nil {
		fmt.Printf("  checks:    NOT green: %v\n\n", err)
	} else {
		fmt.Printf("  checks:    BGP sessions Established, BFD up, ECMP next hops in place, held 10s with no session drop (%s after start)\n\n", time.Since(start).Round(time.Second))
	}
	fmt.Printf("  kubectl:   export KUBECONFIG=%s\n", filepath.Join(lab.StateDir(), "kubeconfig"))
	for _, r := range lab.Topology().Routers {
		fmt.Printf("  router:    docker exec -it %s vtysh   (%s, AS %d)\n", lab.ContainerName(r.Name), r.Name, r.ASN)
	}
	for _, c := range lab.Topology().Clients {
		for _, s := range lab.Topology().Services {
			ips, _ := lab.ServiceIPs(ctx, s.Name)
			for _, ip := range ips {
				fmt.Printf("  client:    docker exec %s curl -s http://%s/\n", lab.ContainerName(c.Name), hostPort(ip.String(), s.Port))
			}
		}
	}
	fmt.Printf("  status:    peerlab status --lab %s\n", lab.ID())
	fmt.Printf("  remove:    peerlab down --lab %s\n", lab.ID())
	if manifest != nil {
		// The bundle's checks, each until it passes or 2 minutes pass.
		fmt.Printf("\nthe bundle's checks on lab %s:\n", lab.ID())
		now := manifest.Replay(ctx, lab, 2*time.Minute)
		printResults(now, manifest.Checks)
		var differ []string
		for i, r := range now {
			if r.Passed != manifest.Checks[i].Passed {
				differ = append(differ, r.Name)
			}
		}
		if len(differ) > 0 {
			return fmt.Errorf("lab %s (left up) differs from the bundle in: %s", lab.ID(), strings.Join(differ, ", "))
		}
		fmt.Println("  same results as in the bundle")
	}
	return nil
}

// familyFlag adds --family and --backend to a verb that loads a topology
// (loadTopology reads them).
func familyFlag(fs *flag.FlagSet) {
	fs.String("family", "", "run the topology in this IP family: ipv4, ipv6 or dual (default: the topology's own; IPv4 pools get IPv6 twins in "+topologies.MappedIPv6Prefix.String()+")")
	fs.String("backend", "", "run the topology with this MetalLB backend: frr, native or frr-k8s (default: the topology's own, frr unless it says; native drops the BFD it cannot run)")
}

func loadTopology(name, file string, fs *flag.FlagSet) (topologies.Topology, error) {
	t, err := loadTopologyFile(name, file, fs)
	if err != nil {
		return t, err
	}
	if f := fs.Lookup("backend"); f != nil && f.Value.String() != "" {
		if t, err = t.ForBackend(topologies.Backend(f.Value.String())); err != nil {
			return t, fmt.Errorf("--backend: %w", err)
		}
	}
	if f := fs.Lookup("family"); f != nil && f.Value.String() != "" {
		return t.ForFamily(topologies.IPFamily(f.Value.String()))
	}
	return t, nil
}

func loadTopologyFile(name, file string, fs *flag.FlagSet) (topologies.Topology, error) {
	nameSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "topology" {
			nameSet = true
		}
	})
	if file != "" {
		if nameSet {
			return topologies.Topology{}, fmt.Errorf("give either --topology or -f, not both")
		}
		return topologies.Load(file)
	}
	return topologies.Builtin(name)
}

func hostPort(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// imageRefFlag collects --metallb-image NAME=REF.
type imageRefFlag images.Refs

func (f *imageRefFlag) String() string { return fmt.Sprint(map[images.Name]string(*f)) }

func (f *imageRefFlag) Set(v string) error {
	name, ref, ok := strings.Cut(v, "=")
	n := images.Name(name)
	switch {
	case !ok || ref == "":
		return fmt.Errorf("%q: want NAME=REF", v)
	case n != images.MetalLBController && n != images.MetalLBSpeaker && n != images.Manifests && n != images.FRRK8s:
		return fmt.Errorf("%q: NAME is one of %s, %s, %s, %s", v, images.MetalLBController, images.MetalLBSpeaker, images.Manifests, images.FRRK8s)
	}
	if *f == nil {
		*f = imageRefFlag{}
	}
	(*f)[n] = ref
	return nil
}
