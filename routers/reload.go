package routers

import (
	"context"
	"encoding/base64"
	"fmt"
)

// Reload applies spec to a running FRR that is reachable only through an
// executor (a router of a lab attached from another process): it writes
// frr.conf and lets frr-reload.py apply the difference live. It reports
// whether anything changed: an unchanged file is left alone, so reloading
// every router of a lab costs one exec per router that did not change.
func Reload(ctx context.Context, e Executor, spec Spec) (changed bool, err error) {
	conf, err := spec.Render()
	if err != nil {
		return false, err
	}
	cur, _, err := e.Exec(ctx, []string{"cat", FRRConfPath})
	if err == nil && string(cur) == conf.FRRConf {
		return false, nil
	}
	// The executor has no stdin: the file travels base64-encoded in the
	// command line (a lab router's frr.conf is a few KiB).
	enc := base64.StdEncoding.EncodeToString([]byte(conf.FRRConf))
	script := fmt.Sprintf("echo %s | base64 -d > %s.new && mv %s.new %s", enc, FRRConfPath, FRRConfPath, FRRConfPath)
	if _, stderr, err := e.Exec(ctx, []string{"sh", "-c", script}); err != nil {
		return false, fmt.Errorf("write frr.conf: %w: %s", err, stderr)
	}
	stdout, stderr, err := e.Exec(ctx, []string{reloadScript, "--reload", "--stdout", FRRConfPath})
	if err != nil {
		return true, fmt.Errorf("frr-reload (running configuration may be partly changed): %w\n%s%s", err, stdout, stderr)
	}
	return true, nil
}
