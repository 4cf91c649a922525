package images

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Refs maps each requested image to the reference a lab should run.
type Refs map[Name]string

// Status describes one image for `peerlab images list`.
type Status struct {
	Name     Name
	Tag      string // offline build's tag
	Upstream string // public reference, "" for peerlab's own images
	Hash     string // hash of the current inputs
	Present  bool   // the offline tag exists
	Current  bool   // ... and carries Hash
	// UpstreamPresent says a copy of the public reference is local.
	UpstreamPresent bool
}

// Ensure returns a usable reference for every named image (all if none),
// building or pulling as the Kit's mode says.
func (k *Kit) Ensure(ctx context.Context, names ...Name) (Refs, error) {
	if len(names) == 0 {
		names = All
	}
	if err := checkDocker(ctx); err != nil {
		return nil, err
	}
	recipes := k.recipes()
	refs := Refs{}
	start := time.Now()
	// Debian roots download while Go compiles: the two use different
	// resources, and a cold build is shorter for it.
	// Offline builds start it at once; auto mode only once a pull has
	// failed, so a host with a registry never debootstraps for nothing.
	var prefetch sync.WaitGroup
	defer prefetch.Wait()
	var once sync.Once
	building := func() { once.Do(func() { k.prefetchRootfs(ctx, &prefetch, recipes, names) }) }
	if k.mode == ModeOffline {
		building()
	}
	for _, n := range names {
		r, ok := recipes[n]
		if !ok {
			return nil, fmt.Errorf("unknown image %q (known: %s)", n, joinNames(All))
		}
		ref, err := k.resolve(ctx, n, r, building)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", n, err)
		}
		refs[n] = ref
	}
	k.logf("%d image(s) ready in %s (mode %s)", len(names), time.Since(start).Round(100*time.Millisecond), k.mode)
	return refs, nil
}

// prefetchRootfs starts, in the background, the root filesystems that the
// named images will need because they are not current. Errors are left to
// the recipe that needs the root, which reports them in context.
func (k *Kit) prefetchRootfs(ctx context.Context, wg *sync.WaitGroup, recipes map[Name]recipe, names []Name) {
	needs := map[Name][]func(context.Context) (rootfs, error){
		FRR: {func(context.Context) (rootfs, error) { return frrRootfs(), nil }},
		Node: {
			func(ctx context.Context) (rootfs, error) {
				files, err := kindFiles(ctx)
				return nodeRootfs(files), err
			},
			func(context.Context) (rootfs, error) { return netRootfs(), nil },
		},
	}
	for _, n := range names {
		r, ok := recipes[n]
		if !ok || len(needs[n]) == 0 {
			continue
		}
		if k.mode == ModeAuto && r.upstream != "" && imagePresent(ctx, r.upstream) {
			continue
		}
		if hash, err := r.hash(ctx); err == nil {
			if got, ok := imageLabel(ctx, r.tag, LabelInputs); ok && got == hash {
				continue
			}
		}
		for _, get := range needs[n] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rf, err := get(ctx); err == nil {
					k.buildRootfs(ctx, rf)
				}
			}()
		}
	}
}

// resolve finds or makes one image; building is called before any offline
// build starts.
func (k *Kit) resolve(ctx context.Context, n Name, r recipe, building func()) (string, error) {
	if r.upstream == "" || k.mode == ModeOffline {
		return r.tag, k.ensureOffline(ctx, r)
	}
	if imagePresent(ctx, r.upstream) {
		return r.upstream, nil
	}
	if k.mode == ModeAuto {
		// A current offline build is as good as the upstream image and
		// costs nothing to use.
		if hash, err := r.hash(ctx); err == nil {
			if got, ok := imageLabel(ctx, r.tag, LabelInputs); ok && got == hash {
				return r.tag, nil
			}
		}
	}
	var pullErr error
	err := k.step("pull "+r.upstream, func() error {
		_, pullErr = run(ctx, nil, nil, "", "docker", "pull", "-q", r.upstream)
		return pullErr
	})
	if err == nil {
		return r.upstream, nil
	}
	if k.mode == ModeUpstream {
		return "", fmt.Errorf("%w\nfix: make the registry reachable, or use --images=offline (or auto) to build %s here", err, n)
	}
	k.logf("pull of %s failed (%s); building it offline", r.upstream, lastLine(pullErr.Error()))
	building()
	return r.tag, k.ensureOffline(ctx, r)
}

func (k *Kit) ensureOffline(ctx context.Context, r recipe) error {
	hash, err := r.hash(ctx)
	if err != nil {
		return err
	}
	return k.ensureTagged(ctx, r.tag, hash, r.build)
}

// ensureTagged builds an image unless tag already carries hash. The tag is
// set only once the image is complete.
func (k *Kit) ensureTagged(ctx context.Context, tag, hash string, build func(context.Context, string) (string, error)) error {
	if got, ok := imageLabel(ctx, tag, LabelInputs); ok && got == hash {
		k.logf("%s is current (inputs %s)", tag, short(hash))
		return nil
	}
	return k.step("build "+tag, func() error {
		id, err := build(ctx, hash)
		if err != nil {
			return err
		}
		return tagImage(ctx, id, tag)
	})
}

// List reports every image's state without building anything.
func (k *Kit) List(ctx context.Context) ([]Status, error) {
	if err := checkDocker(ctx); err != nil {
		return nil, err
	}
	recipes := k.recipes()
	var out []Status
	for _, n := range All {
		r := recipes[n]
		hash, err := r.hash(ctx)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", n, err)
		}
		got, present := imageLabel(ctx, r.tag, LabelInputs)
		s := Status{Name: n, Tag: r.tag, Upstream: r.upstream, Hash: hash, Present: present, Current: present && got == hash}
		if r.upstream != "" {
			s.UpstreamPresent = imagePresent(ctx, r.upstream)
		}
		out = append(out, s)
	}
	return out, nil
}

// checkDocker fails early, with the fix, when no Docker daemon answers.
func checkDocker(ctx context.Context) error {
	if _, err := run(ctx, nil, nil, "", "docker", "version", "--format", "{{.Server.Version}}"); err != nil {
		return fmt.Errorf("no Docker daemon answers: run scripts/host-setup.sh (as root) first\n%w", err)
	}
	return nil
}

func joinNames(ns []Name) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// lastLine is the last non-empty line: for a failed command, its stderr's
// final word (docker pull says why there).
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
