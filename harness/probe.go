package harness

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/peerlab/peerlab/images"
	"github.com/peerlab/peerlab/routers"
)

// A Probe is a steady stream of HTTP requests from a client container, one
// new connection each (images/probe), recording every request: what a
// fault costs in traffic.
type Probe struct {
	ex      routers.Executor
	client  string
	started time.Time
}

// ProbeRecord is one request of a probe.
type ProbeRecord struct {
	Sent    time.Time
	Latency time.Duration
	OK      bool
	Node    string // the node of the backend pod that answered
	Error   string
}

const (
	probeDir  = "/tmp/peerlab-probe"
	probePath = "/usr/local/bin/" + images.ProbeName
)

// StartProbe starts a probe in a client against target at rate requests
// per second (each with a 1 s timeout); it stops by itself after 10 min.
func (l *Lab) StartProbe(ctx context.Context, client string, target netip.AddrPort, rate int) (*Probe, error) {
	if !l.isClient(client) {
		return nil, fmt.Errorf("lab %s has no client %q", l.id, client)
	}
	ctr, err := l.containerName(client)
	if err != nil {
		return nil, err
	}
	if l.kit == nil {
		if l.kit, err = images.New(images.WithProgress(l.out)); err != nil {
			return nil, err
		}
	}
	bin, err := l.kit.ProbeBinary(ctx)
	if err != nil {
		return nil, fmt.Errorf("build the probe: %w", err)
	}
	if err := l.copyFile(ctx, ctr, bin, probePath); err != nil {
		return nil, err
	}
	ex, err := l.Exec(client)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://%s/", target)
	// Detached: nothing on the exec's pipes, so the exec returns at once.
	script := fmt.Sprintf(`d=%[1]s; rm -rf $d; mkdir -p $d
%[2]s -url %[3]s -rate %[4]d -timeout 1s -for 10m -out $d/records.jsonl -stop-file $d/stop </dev/null >/dev/null 2>$d/err &
echo $! > $d/pid`, probeDir, probePath, url, rate)
	if _, stderr, err := ex.Exec(ctx, []string{"sh", "-c", script}); err != nil {
		return nil, fmt.Errorf("start the probe in %s: %v: %s", client, err, stderr)
	}
	return &Probe{ex: ex, client: client, started: time.Now()}, nil
}

// Stop ends the probe and returns its records in the order they finished.
func (p *Probe) Stop(ctx context.Context) ([]ProbeRecord, error) {
	script := fmt.Sprintf(`d=%[1]s; touch $d/stop; p=$(cat $d/pid); i=0; while kill -0 $p 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
cat $d/err >&2; cat $d/records.jsonl; rm -rf $d`, probeDir)
	out, stderr, err := p.ex.Exec(ctx, []string{"sh", "-c", script})
	if err != nil {
		return nil, fmt.Errorf("stop the probe in %s: %v: %s", p.client, err, stderr)
	}
	if s := strings.TrimSpace(string(stderr)); s != "" {
		return nil, fmt.Errorf("the probe in %s failed: %s", p.client, s)
	}
	return ParseProbeRecords(bytes.NewReader(out))
}

// ParseProbeRecords reads a probe's JSON lines.
func ParseProbeRecords(r io.Reader) ([]ProbeRecord, error) {
	var out []ProbeRecord
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		var raw struct {
			Sent  int64   `json:"t"`
			Ms    float64 `json:"ms"`
			OK    bool    `json:"ok"`
			Node  string  `json:"node"`
			Error string  `json:"err"`
		}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("probe record %d: %w", n, err)
		}
		out = append(out, ProbeRecord{Sent: time.Unix(0, raw.Sent), Latency: time.Duration(raw.Ms * float64(time.Millisecond)), OK: raw.OK, Node: raw.Node, Error: raw.Error})
	}
	return out, sc.Err()
}

func (l *Lab) isClient(name string) bool {
	for _, c := range l.topo.Clients {
		if c.Name == name {
			return true
		}
	}
	return false
}

// copyFile puts one executable file into a container.
func (l *Lab) copyFile(ctx context.Context, ctr, src, dest string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := dest[strings.LastIndex(dest, "/")+1:]
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(b)), ModTime: time.Now()}); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	dir := dest[:strings.LastIndex(dest, "/")]
	if err := l.docker.CopyToContainer(ctx, ctr, dir, &buf, container.CopyToContainerOptions{}); err != nil {
		return fmt.Errorf("copy %s into %s: %w", src, ctr, err)
	}
	return nil
}
