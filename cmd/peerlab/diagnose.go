package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/peerlab/peerlab/scenarios"
)

// runDiagnose: peerlab diagnose [--lab ID] [--pcap DIR] says, for every BGP
// session the topology expects that is not Established, why, on both ends;
// --pcap also captures BGP and BFD on every router for a few seconds.
func runDiagnose(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	id := fs.String("lab", "", "lab id (default: the only lab on this machine)")
	pcap := fs.String("pcap", "", "also capture BGP and BFD (ports 179, 3784, 3785, 4784) on every router into this directory")
	seconds := fs.Duration("pcap-for", 5*time.Second, "how long --pcap captures")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: peerlab diagnose [--lab ID] [--pcap DIR [--pcap-for 5s]]\n\nExplains every expected BGP session that is not Established, from both ends:\nthe FSM state, the last NOTIFICATION (a wrong ASN names both ends' ASNs),\nMD5 mismatches (kernel TCP MD5 counters), no route or no ARP answer, hold\ntimer expiry, BFD down. Exits 1 when some session is down.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	lab, err := attachLab(ctx, *id)
	if err != nil {
		return err
	}
	if *pcap != "" {
		dir, _ := filepath.Abs(*pcap)
		files, err := lab.Capture(ctx, dir, *seconds)
		for _, f := range files {
			fmt.Printf("capture: %s\n", f)
		}
		if err != nil {
			return err
		}
	}
	ds, err := scenarios.Diagnose(ctx, lab)
	fmt.Print(scenarios.DiagnosisText(ds))
	if err != nil {
		return err
	}
	if len(ds) > 0 {
		return fmt.Errorf("%d session end(s) not Established", len(ds))
	}
	return nil
}
