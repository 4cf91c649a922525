package images

import (
	"context"
	"fmt"
	"strings"
)

// smoke is a command run in an image to show it holds what labs rely on; its
// output must contain want.
type smoke struct {
	entrypoint string
	args       []string
	want       string
}

func smokeTests() map[Name]smoke {
	return map[Name]smoke{
		FRR: {"/bin/sh", []string{"-c", "id -u frr; id -g frr; test -x /sbin/tini && test -f /usr/lib/frr/frr-reload.py && test -x /usr/lib/frr/docker-start && flock -V >/dev/null && command -v vtysh >/dev/null && dpkg-query -W -f 'frr ${Version}' frr"},
			"100\n101\nfrr 10."},
		Node: {"/usr/bin/kubeadm", []string{"version", "-o", "short"}, KubernetesVersion},
	}
}

// Verify checks that the offline build of every named image (all if none)
// is present and built from the current inputs, and runs a smoke test in the
// images that have one. It builds nothing.
func (k *Kit) Verify(ctx context.Context, names ...Name) error {
	st, err := k.List(ctx)
	if err != nil {
		return err
	}
	want := map[Name]bool{}
	for _, n := range names {
		want[n] = true
	}
	var problems []string
	smokes := smokeTests()
	for _, s := range st {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		switch {
		case !s.Present:
			problems = append(problems, fmt.Sprintf("%s: %s is missing (run: peerlab images build --images=offline %s)", s.Name, s.Tag, s.Name))
			continue
		case !s.Current:
			problems = append(problems, fmt.Sprintf("%s: %s is stale: its inputs changed (run: peerlab images build --images=offline %s)", s.Name, s.Tag, s.Name))
			continue
		}
		if t, ok := smokes[s.Name]; ok {
			args := append([]string{"run", "--rm", "--network", "none", "--entrypoint", t.entrypoint, s.Tag}, t.args...)
			out, err := run(ctx, nil, nil, "", "docker", args...)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: smoke test failed: %v", s.Name, err))
				continue
			}
			if !strings.Contains(string(out), t.want) {
				problems = append(problems, fmt.Sprintf("%s: smoke test printed %q, want it to contain %q", s.Name, strings.TrimSpace(string(out)), t.want))
				continue
			}
		}
		k.logf("%s: %s current and verified", s.Name, s.Tag)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d image problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}
