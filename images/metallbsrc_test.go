package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A directory that is not MetalLB's module root is refused with what it is
// and what to give instead; the pinned module is a valid tree.
func TestCheckMetalLBTree(t *testing.T) {
	mod, err := ModuleDir(t.Context(), "go.universe.tf/metallb@"+MetalLBVersion)
	if err != nil {
		t.Skipf("MetalLB's module is not reachable: %v", err)
	}
	if err := checkMetalLBTree(mod); err != nil {
		t.Errorf("the pinned module: %v", err)
	}
	empty := t.TempDir()
	if err := checkMetalLBTree(empty); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("empty dir: %v", err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n\ngo 1.24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkMetalLBTree(other); err == nil || !strings.Contains(err.Error(), "is module example.com/other, not go.universe.tf/metallb") {
		t.Errorf("another module: %v", err)
	}
}
