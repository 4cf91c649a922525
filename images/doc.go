// Package images builds, finds and names every container image a peerlab lab
// runs: the kind node image (Kubernetes with all its images preloaded), the
// FRR router image, MetalLB's controller and speaker, and peerlab's own backend
// and pod-network daemon.
//
// Each image is made from Debian packages (debootstrap) and Go modules (built
// from the module proxy) so a host without any registry can still run a lab.
// Every image carries a label with the hash of its inputs; an image whose tag
// already carries the right hash is not rebuilt. Intermediate results (Go
// binaries, root filesystems) are cached on disk under the same kind of hash.
//
// A Kit resolves images in one of three modes: upstream (public references,
// pulled if missing), offline (always the local build) and auto (a local copy
// of either if present, else pull, else build).
package images
