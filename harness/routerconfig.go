package harness

import (
	"context"
	"fmt"

	"github.com/peerlab/peerlab/routers"
)

// RouterSpec is the FRR configuration the topology gives a router now.
func (l *Lab) RouterSpec(ctx context.Context, name string) (routers.Spec, error) {
	p, err := l.Plan(ctx)
	if err != nil {
		return routers.Spec{}, err
	}
	return routerSpec(p, name)
}

// ReconfigureRouter changes a running router's configuration away from
// what the topology says (a live misconfiguration: a wrong password, a
// wrong ASN); Apply of the lab's topology puts it back.
func (l *Lab) ReconfigureRouter(ctx context.Context, name string, edit func(*routers.Spec)) error {
	spec, err := l.RouterSpec(ctx, name)
	if err != nil {
		return err
	}
	edit(&spec)
	if f, ok := l.routers[name]; ok {
		return f.Apply(ctx, spec)
	}
	e, err := l.Exec(name)
	if err != nil {
		return err
	}
	if _, err := routers.Reload(ctx, e, spec); err != nil {
		return fmt.Errorf("router %s: %w", name, err)
	}
	return nil
}
