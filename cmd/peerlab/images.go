package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/peerlab/peerlab/images"
)

// runImages: peerlab images build|list|verify [--images MODE] [NAME...]
func runImages(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	mode := fs.String("images", envOr("PEERLAB_IMAGES", "auto"), "where images come from: auto, offline or upstream (env PEERLAB_IMAGES)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab images build|list|verify [flags] [image...]\n\n"+
			"  build   make every named image (default: all) available, building offline as needed\n"+
			"  list    show each image's tag, upstream reference and whether it is current\n"+
			"  verify  fail unless every offline image is present and current, and smoke-test them\n\n"+
			"images: %s\n\nflags:\n", names())
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return fmt.Errorf("missing subcommand")
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	m, err := images.ParseMode(*mode)
	if err != nil {
		return err
	}
	var want []images.Name
	for _, a := range fs.Args() {
		want = append(want, images.Name(a))
	}
	kit, err := images.New(images.WithMode(m))
	if err != nil {
		return err
	}
	switch sub {
	case "build":
		refs, err := kit.Ensure(ctx, want...)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "IMAGE\tREFERENCE")
		for _, n := range images.All {
			if r, ok := refs[n]; ok {
				fmt.Fprintf(w, "%s\t%s\n", n, r)
			}
		}
		return w.Flush()
	case "list":
		st, err := kit.List(ctx)
		if err != nil {
			return err
		}
		printStatus(st)
		return nil
	case "verify":
		return kit.Verify(ctx, want...)
	}
	fs.Usage()
	return fmt.Errorf("unknown subcommand %q", sub)
}

func printStatus(st []images.Status) {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tOFFLINE TAG\tSTATE\tINPUTS\tUPSTREAM\tUPSTREAM LOCAL")
	for _, s := range st {
		state := "missing"
		if s.Current {
			state = "current"
		} else if s.Present {
			state = "stale"
		}
		up, upLocal := s.Upstream, "no"
		if up == "" {
			up, upLocal = "(peerlab's own)", "-"
		} else if s.UpstreamPresent {
			upLocal = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Tag, state, s.Hash[:12], up, upLocal)
	}
	w.Flush()
}

func names() string {
	var s []string
	for _, n := range images.All {
		s = append(s, string(n))
	}
	return strings.Join(s, ", ")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
