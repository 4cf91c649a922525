package routers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// PodExecutor runs commands in one container of a pod through the
// Kubernetes API (what `kubectl exec` does), typically the frr container of
// a MetalLB speaker pod, so the Querier can check the cluster's side of a
// session with the same code as the router's side.
type PodExecutor struct {
	config                    *rest.Config
	namespace, pod, container string
}

// NewPodExecutor returns an Executor for container in namespace/pod.
func NewPodExecutor(config *rest.Config, namespace, pod, container string) (*PodExecutor, error) {
	switch {
	case config == nil:
		return nil, errors.New("pod executor: nil rest config")
	case namespace == "" || pod == "" || container == "":
		return nil, fmt.Errorf("pod executor: namespace %q, pod %q and container %q must all be set", namespace, pod, container)
	}
	return &PodExecutor{config: config, namespace: namespace, pod: pod, container: container}, nil
}

// execURL builds the pod's exec subresource URL. It is built by hand rather
// than through a typed clientset, which would pull every Kubernetes API type
// into this package for the sake of one URL.
func (p *PodExecutor) execURL(cmd []string, stdin bool) (*url.URL, error) {
	base, _, err := rest.DefaultServerUrlFor(p.config)
	if err != nil {
		return nil, fmt.Errorf("pod executor: %w", err)
	}
	u := *base
	u.Path = path.Join(base.Path, "/api/v1/namespaces", p.namespace, "pods", p.pod, "exec")
	q := url.Values{}
	q.Set("container", p.container)
	q.Set("stdout", "true")
	q.Set("stderr", "true")
	if stdin {
		q.Set("stdin", "true")
	}
	for _, c := range cmd {
		q.Add("command", c)
	}
	u.RawQuery = q.Encode()
	return &u, nil
}

func (p *PodExecutor) where() string {
	return fmt.Sprintf("%s/%s[%s]", p.namespace, p.pod, p.container)
}

// executor returns a stream for cmd in the pod's container.
func (p *PodExecutor) executor(cmd []string, stdin bool) (remotecommand.Executor, error) {
	u, err := p.execURL(cmd, stdin)
	if err != nil {
		return nil, err
	}
	// WebSocket is the current protocol (Kubernetes 1.30+); SPDY is kept as
	// the fallback for API servers or proxies that refuse the upgrade.
	ws, err := remotecommand.NewWebSocketExecutor(p.config, "GET", u.String())
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", p.where(), err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(p.config, "POST", u)
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", p.where(), err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("exec in %s: %w", p.where(), err)
	}
	return exec, nil
}

// Exec implements Executor.
func (p *PodExecutor) Exec(ctx context.Context, cmd []string) ([]byte, []byte, error) {
	exec, err := p.executor(cmd, false)
	if err != nil {
		return nil, nil, err
	}
	var stdout, stderr bytes.Buffer
	err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	var exitErr utilexec.CodeExitError
	switch {
	case err == nil:
		return stdout.Bytes(), stderr.Bytes(), nil
	case errors.As(err, &exitErr):
		return stdout.Bytes(), stderr.Bytes(), &ExitError{Cmd: cmd, Code: exitErr.Code, Stderr: stderr.String()}
	default:
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("exec %q in %s: %w", strings.Join(cmd, " "), p.where(), err)
	}
}

// NewPodShellExecutor returns an Executor for container in namespace/pod
// that runs commands through a few long-lived shells (see ShellExecutor).
// A pod exec costs more than a docker exec: the API server and kubelet
// stream it, and containerd starts runc inside a kind node. The checks ask
// every speaker's FRR a few things per round, every few seconds. Close it
// when done; a shell ends by itself when its container does.
func NewPodShellExecutor(config *rest.Config, namespace, pod, container string) (*ShellExecutor, error) {
	p, err := NewPodExecutor(config, namespace, pod, container)
	if err != nil {
		return nil, err
	}
	return &ShellExecutor{once: p, open: p.openShell, where: p.where()}, nil
}

// shellExitGrace is how long a closed pod shell gets to exit by itself.
const shellExitGrace = 2 * time.Second

// openShell starts `sh` in the container with its stdin on a pipe.
func (p *PodExecutor) openShell(ctx context.Context) (*shell, error) {
	exec, err := p.executor([]string{"sh"}, true)
	if err != nil {
		return nil, err
	}
	stdin, w := io.Pipe()
	// The shell outlives ctx (it serves later commands). Closing it closes
	// its stdin, so sh exits and the stream ends as any exec does; the
	// stream is cut only if that takes long (cut at once, client-go logged
	// each as an "Unhandled Error").
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var sh *shell
	sh = newShell(w, func() {
		_ = w.Close()
		go func() {
			select {
			case <-sh.done:
			case <-time.After(shellExitGrace):
			}
			cancel()
		}()
	})
	go func() {
		sh.ended = exec.StreamWithContext(streamCtx, remotecommand.StreamOptions{Stdin: stdin, Stdout: sh.out, Stderr: sh.err})
		// A command written after the stream ended fails instead of
		// waiting for a reader.
		_ = stdin.CloseWithError(errNotSent)
		cancel()
		close(sh.done)
	}()
	return sh, sh.ready(ctx, p.where())
}
