package routers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Executor runs a command where FRR runs (a router container, the frr
// container of a speaker pod) and returns what it printed. A command that ran
// but exited non-zero returns its output and an *ExitError; any other error
// means the command could not be run at all.
type Executor interface {
	Exec(ctx context.Context, cmd []string) (stdout, stderr []byte, err error)
}

// ExitError reports a command that ran and exited with a non-zero status.
type ExitError struct {
	Cmd    []string
	Code   int
	Stderr string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", strings.Join(e.Cmd, " "), e.Code)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + truncate(s, 500)
	}
	return msg
}

// DockerAPI is the part of the Docker client an executor needs; the moby
// client (and testcontainers-go's provider client) implements it.
type DockerAPI interface {
	ExecCreate(ctx context.Context, container string, options client.ExecCreateOptions) (client.ExecCreateResult, error)
	ExecAttach(ctx context.Context, execID string, options client.ExecAttachOptions) (client.ExecAttachResult, error)
	ExecInspect(ctx context.Context, execID string, options client.ExecInspectOptions) (client.ExecInspectResult, error)
}

// DockerExecutor runs commands in a container with docker exec.
type DockerExecutor struct {
	api       DockerAPI
	container string
}

// NewDockerExecutor returns an Executor for the container with the given
// name or ID. NewDockerClient gives a suitable api.
func NewDockerExecutor(api DockerAPI, container string) *DockerExecutor {
	return &DockerExecutor{api: api, container: container}
}

// NewDockerClient returns a Docker client configured from the environment
// (DOCKER_HOST and friends) that negotiates the API version, which keeps it
// working against older daemons such as Docker 20.10. Close it when done.
func NewDockerClient() (*client.Client, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return c, nil
}

// Exec implements Executor.
func (d *DockerExecutor) Exec(ctx context.Context, cmd []string) ([]byte, []byte, error) {
	created, err := d.api.ExecCreate(ctx, d.container, client.ExecCreateOptions{
		Cmd: cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("exec %q in %s: %w", strings.Join(cmd, " "), d.container, err)
	}
	att, err := d.api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("exec %q in %s: attach: %w", strings.Join(cmd, " "), d.container, err)
	}
	defer att.Close()

	// The hijacked connection ignores ctx; closing it unblocks the copy.
	stop := context.AfterFunc(ctx, func() { att.Close() })
	defer stop()

	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, att.Reader)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("exec %q in %s: %w", strings.Join(cmd, " "), d.container, ctxErr)
	}
	if err != nil {
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("exec %q in %s: read output: %w", strings.Join(cmd, " "), d.container, err)
	}
	inspected, err := d.api.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("exec %q in %s: inspect: %w", strings.Join(cmd, " "), d.container, err)
	}
	if inspected.ExitCode != 0 {
		return stdout.Bytes(), stderr.Bytes(), &ExitError{Cmd: cmd, Code: inspected.ExitCode, Stderr: stderr.String()}
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}

// IsExitError reports whether err says a command ran and failed, as opposed
// to not running at all (container gone or paused, API unreachable).
func IsExitError(err error) bool {
	var e *ExitError
	return errors.As(err, &e)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
