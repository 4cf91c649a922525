package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/peerlab/peerlab/routers"
)

// captureFilter is BGP, single-hop BFD, BFD echo and multi-hop BFD.
const captureFilter = "tcp port 179 or udp port 3784 or udp port 3785 or udp port 4784"

// Capture records BGP and BFD packets on every router's interfaces at once
// for d, and writes one pcap per router (<dir>/<router>.pcap, Linux cooked
// capture: tcpdump -i any) to read with Wireshark or tcpdump -r. It returns
// the files written.
func (l *Lab) Capture(ctx context.Context, dir string, d time.Duration) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var (
		mu    sync.Mutex
		files []string
		errs  []error
		wg    sync.WaitGroup
	)
	secs := max(1, int(d.Round(time.Second).Seconds()))
	for _, r := range l.topo.Routers {
		ex, ok := l.execs[r.Name]
		if !ok {
			continue
		}
		wg.Go(func() {
			f, err := capturePackets(ctx, ex, secs, filepath.Join(dir, r.Name+".pcap"))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("capture on %s: %w", r.Name, err))
				return
			}
			files = append(files, f)
		})
	}
	wg.Wait()
	sort.Strings(files)
	return files, errors.Join(errs...)
}

func capturePackets(ctx context.Context, ex routers.Executor, secs int, dest string) (string, error) {
	// timeout ends tcpdump (exit 124); the file is complete then. Packets
	// are printed as the pcap itself on stdout, so nothing stays behind.
	script := fmt.Sprintf("timeout %d tcpdump -i any -U -w - '%s' 2>/dev/null; true", secs, captureFilter)
	out, stderr, err := ex.Exec(ctx, []string{"sh", "-c", script})
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(stderr)))
	}
	if len(out) == 0 {
		return "", fmt.Errorf("tcpdump wrote nothing (is it in the image?)")
	}
	return dest, os.WriteFile(dest, out, 0o644)
}
