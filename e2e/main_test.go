// Package e2e brings up whole labs (kind + MetalLB + FRR routers + clients)
// and asserts what a network engineer would check by hand. It needs root
// (iptables for the egress guard), a Docker daemon, and the lab's images;
// TestMain checks the first two and says how to fix them, and builds or
// finds the images once for all tests.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/peerlab/peerlab/images"
)

// interrupted is done once the test binary gets SIGINT or SIGTERM (Ctrl-C,
// a CI job cancelled, the matrix runner stopping a lane). Without it Go's
// default handling would kill the binary on the spot and leave its labs
// behind; with it each test's context ends, the test fails, and its cleanup
// takes its lab down.
var interrupted context.Context

func TestMain(m *testing.M) {
	flag.Parse()
	var stop context.CancelFunc
	interrupted, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode (labs take minutes)")
		os.Exit(0)
	}
	if err := prerequisites(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	// Ryuk's image cannot be pulled offline; labs sweep by label instead.
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	// Build (or find) every image once, with progress, before any lab;
	// each lab then resolves the same references in well under a second.
	kit, err := newKit()
	if err == nil {
		_, err = kit.Ensure(ctx)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: images: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	// Labs the tests shared (see sharedLab) go once every test is done.
	if err := downShared(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func prerequisites() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root: the lab's egress guard edits iptables (run: sudo -E go test ./e2e)")
	}
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		return fmt.Errorf("no Docker daemon answers (%s): run scripts/host-setup.sh first", out)
	}
	return nil
}

// artifactsDir is where a failed test's dump goes: $PEERLAB_ARTIFACTS or
// e2e/artifacts, one directory per test.
func artifactsDir(t *testing.T) string {
	base := os.Getenv("PEERLAB_ARTIFACTS")
	if base == "" {
		base = "artifacts"
	}
	dir, err := filepath.Abs(filepath.Join(base, t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// newKit returns an image kit in the mode PEERLAB_IMAGES names (default auto).
func newKit() (*images.Kit, error) {
	mode, err := images.ParseMode(os.Getenv("PEERLAB_IMAGES"))
	if err != nil {
		return nil, err
	}
	return images.New(images.WithMode(mode))
}
