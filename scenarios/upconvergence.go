package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerlab/peerlab/harness"
	"github.com/peerlab/peerlab/internal/wait"
)

// UpConvergence is how long a lab took, after Up returned, to become green
// in each respect, in milliseconds (null: not within the deadline). It is
// the lab-up side of the convergence report.
type UpConvergence struct {
	Lab      string `json:"lab"`
	Topology string `json:"topology"`
	// SessionsMs: every expected BGP session Established on both ends.
	SessionsMs *float64 `json:"sessionsMs"`
	// BFDMs: every BFD session up on both ends with the profile's timers.
	BFDMs *float64 `json:"bfdMs"`
	// RoutesMs: one next hop per announcing node in every router's RIB
	// and kernel.
	RoutesMs *float64 `json:"routesMs"`
	// FirstCurlMs: every client's first request to every service answered.
	FirstCurlMs *float64 `json:"firstCurlMs"`
}

// MeasureUp polls the four checks from since (when Up returned) until each
// has passed once or timeout ends; the error lists the checks that never
// passed, with their last failure.
func MeasureUp(ctx context.Context, lab *harness.Lab, since time.Time, timeout time.Duration) (UpConvergence, error) {
	u := UpConvergence{Lab: lab.ID(), Topology: lab.Topology().Name}
	firstCurl := func(ctx context.Context, lab *harness.Lab) error {
		var errs []error
		for _, c := range lab.Topology().Clients {
			for _, svc := range lab.Topology().Services {
				ips, err := lab.ServiceIPs(ctx, svc.Name)
				if err != nil {
					return err
				}
				if len(ips) == 0 {
					errs = append(errs, fmt.Errorf("service %s has no address yet", svc.Name))
				}
				for _, ip := range ips {
					s, err := Curl(ctx, lab, c.Name, ip, svc.Port, 1)
					if err == nil && s.OK < 1 {
						err = fmt.Errorf("%s to %s:%d: %s", c.Name, ip, svc.Port, strings.Join(s.Failures, "; "))
					}
					errs = append(errs, err)
				}
			}
		}
		return errors.Join(errs...)
	}
	checks := []struct {
		name  string
		check Check
		into  **float64
	}{
		{"sessions Established", SessionsEstablished, &u.SessionsMs},
		{"BFD up", BFDUp, &u.BFDMs},
		{"ECMP routes", ECMPNextHops, &u.RoutesMs},
		{"first curl", firstCurl, &u.FirstCurlMs},
	}
	// One loop asks the checks not yet green in turn: polling them side by
	// side would load the 2-core host during boot, when BFD's 900 ms detect
	// time is least forgiving of a starved bfdd.
	last := make([]error, len(checks))
	err := wait.Until(ctx, timeout, 250*time.Millisecond, func(ctx context.Context) error {
		var pending []error
		for i, c := range checks {
			if *c.into != nil {
				continue
			}
			if err := c.check(ctx, lab); err != nil {
				last[i] = fmt.Errorf("%s: %w", c.name, err)
				pending = append(pending, last[i])
				continue
			}
			*c.into = ms(time.Since(since))
		}
		return errors.Join(pending...)
	})
	if err != nil {
		var errs []error
		for i, c := range checks {
			if *c.into == nil {
				errs = append(errs, last[i])
			}
		}
		if len(errs) == 0 {
			errs = append(errs, err)
		}
		return u, errors.Join(errs...)
	}
	return u, nil
}

// Table renders the lab-up report.
func (u UpConvergence) Table() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAB\tTOPOLOGY\tSESSIONS\tBFD\tROUTES (RIB+KERNEL)\tFIRST CURL")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Lab, u.Topology, msText(u.SessionsMs), msText(u.BFDMs), msText(u.RoutesMs), msText(u.FirstCurlMs))
	tw.Flush()
	return b.String()
}

// Write saves the report as up-convergence.json in dir.
func (u UpConvergence) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "up-convergence.json"), b, 0o644)
}
