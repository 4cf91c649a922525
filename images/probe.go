package images

import (
	"context"
	"path/filepath"
)

// ProbeName is the traffic probe's file name (see images/probe).
const ProbeName = "peerlab-probe"

func probeBuild() goBuild {
	return goBuild{
		Name:    "probe",
		Mains:   map[string]string{ProbeName: "github.com/peerlab/peerlab/images/probe"},
		LDFlags: "-s -w",
		own:     true,
	}
}

// ProbeBinary returns the path of the traffic probe, a static binary the
// harness copies into a client container; it is built from this checkout
// (cached by its sources' hash), not baked into an image.
func (k *Kit) ProbeBinary(ctx context.Context) (string, error) {
	dir, err := k.buildGo(ctx, probeBuild())
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, ProbeName), nil
}
