package harness

import (
	"os/exec"
	"strings"
	"testing"
)

// The neighbor probes run as python in the routers' and clients'
// containers; a syntax error would only show there, as a failed check.
func TestNeighborScriptsParse(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on this host")
	}
	for name, src := range map[string]string{"probe": neighborProbe, "listen": neighborListen} {
		cmd := exec.Command("python3", "-c", "import ast, sys; ast.parse(sys.stdin.read())")
		cmd.Stdin = strings.NewReader(src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}
