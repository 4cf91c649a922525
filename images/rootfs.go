package images

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// rootfs describes a Debian root filesystem made with debootstrap and apt.
type rootfs struct {
	Name  string
	Suite string // bookworm, trixie, forky
	// Script is the debootstrap script to use when it is not named like
	// the suite (bookworm's debootstrap has no "forky" script; "sid" fits).
	Script   string
	Packages []string // installed with apt after debootstrap
	// PreInstall runs in the chroot before apt (e.g. create users whose
	// ids a package must not choose itself).
	PreInstall string
	// PostInstall runs in the chroot after apt and after Files are copied.
	PostInstall string
	// Files are copied into the root before PostInstall: destination ->
	// host source path (a file or a directory, copied recursively). Files
	// get mode 0644 and directories 0755 whatever the source says (module
	// cache files are read-only); PostInstall sets exec bits. Their content
	// is part of the hash.
	Files map[string]string
	// Version changes when the recipe logic changes in ways the fields
	// above do not show.
	Version int
}

func (k *Kit) rootfsHash(r rootfs) (string, error) {
	h := newHasher()
	h.add("rootfs", struct {
		Name, Suite, Script, Pre, Post string
		Packages                       []string
		Version                        int
		Mirror                         string
	}{r.Name, r.Suite, r.Script, r.PreInstall, r.PostInstall, r.Packages, r.Version, debianMirror()})
	for _, dst := range sortedKeys(r.Files) {
		if err := h.addTree(dst, r.Files[dst], nil); err != nil {
			return "", err
		}
	}
	return h.hex(), nil
}

// debianMirror is the archive debootstrap and apt use. PEERLAB_DEBIAN_MIRROR
// points the kit at a local mirror in air-gapped sites.
func debianMirror() string {
	if m := os.Getenv("PEERLAB_DEBIAN_MIRROR"); m != "" {
		return m
	}
	return "http://deb.debian.org/debian"
}

// buildRootfs returns a tarball of the root filesystem, building it unless a
// cached one with the same inputs exists.
func (k *Kit) buildRootfs(ctx context.Context, r rootfs) (string, error) {
	hash, err := k.rootfsHash(r)
	if err != nil {
		return "", err
	}
	final := filepath.Join(k.cacheDir, "rootfs", r.Name+"-"+short(hash)+".tar")
	if _, err := os.Stat(final); err == nil {
		return final, nil
	}
	// One build per root filesystem at a time: a prefetch (see
	// prefetchRootfs) and the recipe that needs it share the result.
	k.mu.Lock()
	f, running := k.flights[final]
	if !running {
		f = &flight{done: make(chan struct{})}
		k.flights[final] = f
	}
	k.mu.Unlock()
	if running {
		select {
		case <-f.done:
			return final, f.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	defer func() {
		k.mu.Lock()
		delete(k.flights, final)
		k.mu.Unlock()
		close(f.done)
	}()
	f.err = k.debootstrap(ctx, r, final)
	return final, f.err
}

// flight is a root filesystem build in progress.
type flight struct {
	done chan struct{}
	err  error
}

// debootstrap builds r's tarball at final.
func (k *Kit) debootstrap(ctx context.Context, r rootfs, final string) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	return k.step("debian root filesystem "+r.Name+" ("+r.Suite+")", func() error {
		work, err := os.MkdirTemp(filepath.Dir(final), ".tmp-"+r.Name+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		root := filepath.Join(work, "root")
		// unshare gives debootstrap and the chroot a private mount
		// namespace: the /proc, /sys and /dev mounts they make vanish with
		// it, even when the build is interrupted.
		args := []string{"--mount", "--propagation", "private", "--", "debootstrap", "--variant=minbase", r.Suite, root, debianMirror()}
		if r.Script != "" {
			args = append(args, filepath.Join("/usr/share/debootstrap/scripts", r.Script))
		}
		if _, err := run(ctx, nil, nil, "", "unshare", args...); err != nil {
			return fmt.Errorf("%w\nfix: debootstrap needs Debian's archive (%s; set PEERLAB_DEBIAN_MIRROR for a local mirror) and root", err, debianMirror())
		}
		for _, dst := range sortedKeys(r.Files) {
			if err := copyTree(r.Files[dst], filepath.Join(root, dst)); err != nil {
				return err
			}
		}
		script := "set -eu\nexport DEBIAN_FRONTEND=noninteractive LC_ALL=C\n" + r.PreInstall + "\n"
		if len(r.Packages) > 0 {
			// Valid-Until is not checked: a mirror may be a frozen snapshot
			// whose testing-suite Release has expired; signatures still are.
			script += "apt-get -o Acquire::Check-Valid-Until=false update -qq\napt-get install -y -qq --no-install-recommends " + strings.Join(r.Packages, " ") + "\n"
		}
		script += r.PostInstall + "\napt-get clean\nrm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log\n"
		if err := os.WriteFile(filepath.Join(root, "peerlab-setup.sh"), []byte(script), 0o755); err != nil {
			return err
		}
		// The chroot gets the host's resolver only for apt; it is reset below.
		resolv, _ := os.ReadFile("/etc/resolv.conf")
		if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), resolv, 0o644); err != nil {
			return err
		}
		inner := fmt.Sprintf("mount -t proc proc %[1]s/proc && mount -t sysfs sys %[1]s/sys && mount --rbind /dev %[1]s/dev && chroot %[1]s /peerlab-setup.sh", root)
		if _, err := run(ctx, nil, nil, "", "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", inner); err != nil {
			return fmt.Errorf("setting up %s: %w", r.Name, err)
		}
		os.Remove(filepath.Join(root, "peerlab-setup.sh"))
		os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644)
		tmpTar := filepath.Join(work, "rootfs.tar")
		if _, err := run(ctx, nil, nil, "", "tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", tmpTar, "."); err != nil {
			return err
		}
		return os.Rename(tmpTar, final)
	})
}

// copyTree copies a file or directory tree with fixed modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
