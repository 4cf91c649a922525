package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Mode says where a Kit gets images from.
type Mode string

const (
	// ModeAuto uses a local copy (upstream or offline build) if present,
	// else pulls the upstream reference, else builds offline.
	ModeAuto Mode = "auto"
	// ModeOffline always uses the local build, building it if needed.
	ModeOffline Mode = "offline"
	// ModeUpstream uses only the public references, pulling them if missing.
	ModeUpstream Mode = "upstream"
)

// ParseMode checks a mode given by a user.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModeOffline, ModeUpstream:
		return m, nil
	case "":
		return ModeAuto, nil
	}
	return "", fmt.Errorf("unknown image mode %q: use auto, offline or upstream", s)
}

// Kit resolves and builds images. It holds no global state; two Kits may
// share a cache directory because every cache entry is written to a
// temporary name and renamed into place.
type Kit struct {
	mode     Mode
	cacheDir string
	srcDir   string
	out      io.Writer

	mu      sync.Mutex
	hashes  map[string]string  // memoised input hashes, by recipe name
	flights map[string]*flight // root filesystem builds in progress, by path
}

// Option configures a Kit.
type Option func(*Kit)

// WithMode sets where images come from (default ModeAuto).
func WithMode(m Mode) Option { return func(k *Kit) { k.mode = m } }

// WithCacheDir sets where Go binaries and root filesystems are cached
// (default $XDG_CACHE_HOME/peerlab or ~/.cache/peerlab).
func WithCacheDir(dir string) Option { return func(k *Kit) { k.cacheDir = dir } }

// WithProgress sets where progress lines go (default os.Stderr).
func WithProgress(w io.Writer) Option { return func(k *Kit) { k.out = w } }

// WithSourceDir names the peerlab checkout whose own programs (backend,
// pod-network daemon) are built (default: found from the working directory).
func WithSourceDir(dir string) Option { return func(k *Kit) { k.srcDir = dir } }

// New returns a Kit.
func New(opts ...Option) (*Kit, error) {
	k := &Kit{mode: ModeAuto, out: os.Stderr, hashes: map[string]string{}, flights: map[string]*flight{}}
	for _, o := range opts {
		o(k)
	}
	if k.cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory: set XDG_CACHE_HOME or use WithCacheDir: %w", err)
		}
		k.cacheDir = filepath.Join(base, "peerlab")
	}
	if k.srcDir == "" {
		dir, err := findModuleRoot()
		if err != nil {
			return nil, err
		}
		k.srcDir = dir
	}
	if err := os.MkdirAll(k.cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache directory: %w", err)
	}
	removeStaleTemps(k.cacheDir)
	return k, nil
}

// removeStaleTemps deletes work directories that a killed build left in the
// cache (an interrupted build normally removes its own). Only old ones go:
// a young one may belong to a build running right now.
func removeStaleTemps(cacheDir string) {
	for _, sub := range []string{"bin", "rootfs"} {
		entries, _ := os.ReadDir(filepath.Join(cacheDir, sub))
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 6*time.Hour {
				os.RemoveAll(filepath.Join(cacheDir, sub, e.Name()))
			}
		}
	}
}

// Mode reports the Kit's mode.
func (k *Kit) Mode() Mode { return k.mode }

// findModuleRoot walks up from the working directory to peerlab's go.mod,
// since the own images are built from source.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module github.com/peerlab/peerlab\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("cannot find the peerlab checkout above %s: run from inside it or use images.WithSourceDir", dir)
		}
	}
}

// step runs fn as one named, timed step and reports it.
func (k *Kit) step(name string, fn func() error) error {
	start := time.Now()
	fmt.Fprintf(k.out, "images: %s ...\n", name)
	err := fn()
	d := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(k.out, "images: %s FAILED after %s\n", name, d)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(k.out, "images: %s done in %s\n", name, d)
	return nil
}

func (k *Kit) logf(format string, args ...any) {
	fmt.Fprintf(k.out, "images: "+format+"\n", args...)
}

// run executes a command and returns its stdout. On failure the error holds
// the command and the tail of its output, which is what a user needs to see.
func run(ctx context.Context, stdin io.Reader, env []string, dir string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = stdin
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(stderr.String()+stdout.String(), 30))
	}
	return stdout.Bytes(), nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// replaceDir moves a finished temporary directory into place. A concurrent
// builder that got there first wins; its result has the same inputs.
func replaceDir(tmp, final string) error {
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return os.RemoveAll(tmp)
		}
		return err
	}
	return nil
}
