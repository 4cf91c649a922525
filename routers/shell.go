package routers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ShellExecutor runs commands in a container through a few long-lived
// shells (`docker exec -i sh`) instead of one docker exec each. A docker
// exec costs the host about 150 ms of CPU (dockerd, containerd, runc), more
// than most of the commands the checks run (vtysh answers in 90 ms), and a
// round of checks on the reference lab is some fifty of them on two cores.
// Through a shell, a command costs what it costs inside the container.
//
// Each command runs with stdin from /dev/null, so it cannot eat the shell's
// script; its stdout and stderr end at a random marker the shell prints
// after it, with its exit status. A shell whose stream ends (the container
// stopped or restarted) is dropped; a command is never sent twice. When
// every shell is busy, or a shell cannot be started, the command runs as a
// one-shot docker exec (a pod exec, for NewPodShellExecutor's shells).
type ShellExecutor struct {
	once  Executor
	open  func(ctx context.Context) (*shell, error)
	where string

	mu     sync.Mutex
	idle   []*shell
	opened int
	closed bool
}

// maxShells bounds the shells per container: checks ask one container a
// few things at once (sessions, BFD, routes, curl), rarely more.
const maxShells = 4

// NewShellExecutor returns an Executor for the container with the given
// name or ID; Close ends its shells.
func NewShellExecutor(api DockerAPI, container string) *ShellExecutor {
	return &ShellExecutor{
		once:  NewDockerExecutor(api, container),
		open:  func(ctx context.Context) (*shell, error) { return openShell(ctx, api, container) },
		where: container,
	}
}

// Exec implements Executor.
func (s *ShellExecutor) Exec(ctx context.Context, cmd []string) ([]byte, []byte, error) {
	sh := s.take(ctx)
	if sh == nil {
		return s.once.Exec(ctx, cmd)
	}
	stdout, stderr, code, err := sh.run(ctx, cmd)
	if err != nil {
		s.drop(sh)
		if errors.Is(err, errNotSent) {
			return s.once.Exec(ctx, cmd)
		}
		return stdout, stderr, fmt.Errorf("exec %q in %s: %w", strings.Join(cmd, " "), s.where, err)
	}
	s.put(sh)
	if code != 0 {
		return stdout, stderr, &ExitError{Cmd: cmd, Code: code, Stderr: string(stderr)}
	}
	return stdout, stderr, nil
}

// Close ends the idle shells and lets busy ones end when their command is
// done.
func (s *ShellExecutor) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, sh := range s.idle {
		sh.close()
	}
	s.idle = nil
}

// take returns an idle live shell, a new one, or nil (run it one-shot).
func (s *ShellExecutor) take(ctx context.Context) *shell {
	s.mu.Lock()
	for len(s.idle) > 0 {
		sh := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if sh.alive() {
			s.mu.Unlock()
			return sh
		}
		s.opened--
		sh.close()
	}
	if s.closed || s.opened >= maxShells {
		s.mu.Unlock()
		return nil
	}
	s.opened++
	s.mu.Unlock()
	sh, err := s.open(ctx)
	if err != nil {
		s.mu.Lock()
		s.opened--
		s.mu.Unlock()
		return nil
	}
	return sh
}

func (s *ShellExecutor) put(sh *shell) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !sh.alive() {
		s.opened--
		sh.close()
		return
	}
	s.idle = append(s.idle, sh)
}

func (s *ShellExecutor) drop(sh *shell) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened--
	sh.close()
}

// errNotSent: the shell was gone before the command reached it, so running
// it another way cannot run it twice.
var errNotSent = errors.New("shell gone before the command was sent")

// shell is one `sh` reading commands on stdin, its output demultiplexed
// into two buffers by a goroutine.
type shell struct {
	conn   io.WriteCloser
	closer func()
	out    *markBuffer
	err    *markBuffer
	done   chan struct{} // closed when the stream ends
	// ended is why the stream ended, when it says (set before done is
	// closed).
	ended error
}

// why adds to err what ended the shell's stream, if it ended with an error.
func (sh *shell) why(err error) error {
	if !sh.alive() && sh.ended != nil {
		return fmt.Errorf("%w (%v)", err, sh.ended)
	}
	return err
}

func openShell(ctx context.Context, api DockerAPI, container string) (*shell, error) {
	created, err := api.ExecCreate(ctx, container, client.ExecCreateOptions{
		Cmd: []string{"sh"}, AttachStdin: true, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, err
	}
	// The shell outlives ctx (it serves later commands): attach without it.
	att, err := api.ExecAttach(context.WithoutCancel(ctx), created.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, err
	}
	sh := newShell(att.Conn, att.Close)
	go func() {
		_, sh.ended = stdcopy.StdCopy(sh.out, sh.err, att.Reader)
		close(sh.done)
	}()
	return sh, sh.ready(ctx, container)
}

// newShell returns a shell writing commands to conn; whoever reads the
// shell's output writes it to sh.out and sh.err and closes sh.done when the
// stream ends.
func newShell(conn io.WriteCloser, closer func()) *shell {
	return &shell{conn: conn, closer: closer, out: newMarkBuffer(), err: newMarkBuffer(), done: make(chan struct{})}
}

// ready makes one round trip before the shell serves: a container without
// sh (or one that is stopping) fails here, where nothing of a caller's
// command has been sent. The shell is closed when it fails.
func (sh *shell) ready(ctx context.Context, where string) error {
	if _, _, code, err := sh.run(ctx, []string{"true"}); err != nil || code != 0 {
		sh.close()
		return fmt.Errorf("shell in %s: exit %d, %v", where, code, err)
	}
	return nil
}

func (sh *shell) alive() bool {
	select {
	case <-sh.done:
		return false
	default:
		return true
	}
}

func (sh *shell) close() { sh.closer() }

// run sends one command and waits for its marker on both streams.
func (sh *shell) run(ctx context.Context, cmd []string) (stdout, stderr []byte, code int, err error) {
	if !sh.alive() {
		return nil, nil, 0, errNotSent
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	mark := "__peerlab_" + hex.EncodeToString(b)
	quoted := make([]string, len(cmd))
	for i, a := range cmd {
		quoted[i] = shellQuote(a)
	}
	script := fmt.Sprintf("%s </dev/null; printf '%%s %%d\\n' %s \"$?\"; printf '%%s\\n' %s >&2\n", strings.Join(quoted, " "), mark, mark)
	// A write can wait on its reader (a pod exec's stdin pipe waits for
	// the stream to be upgraded): ctx ends it by closing the shell. The
	// command may have been read by then, so it is not sent again.
	stop := context.AfterFunc(ctx, sh.close)
	_, werr := io.WriteString(sh.conn, script)
	if !stop() {
		return nil, nil, 0, ctx.Err()
	}
	if werr != nil {
		return nil, nil, 0, errNotSent
	}
	// A command that outlives ctx leaves the shell busy: the caller drops
	// it (closing the connection ends the exec's sh once the child ends).
	outLine, err := sh.out.until(ctx, sh.done, mark+" ")
	if err != nil {
		return nil, nil, 0, sh.why(err)
	}
	errText, err := sh.err.until(ctx, sh.done, mark)
	if err != nil {
		return nil, nil, 0, sh.why(err)
	}
	stdout, rest := outLine.before, strings.TrimSpace(outLine.after)
	code, err = strconv.Atoi(rest)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("shell: exit status %q after the marker", rest)
	}
	return stdout, errText.before, code, nil
}

// markBuffer collects one stream of a shell and hands out what came before
// a marker.
type markBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	notify chan struct{}
}

func newMarkBuffer() *markBuffer { return &markBuffer{notify: make(chan struct{}, 1)} }

func (m *markBuffer) Write(p []byte) (int, error) {
	m.mu.Lock()
	m.b.Write(p)
	m.mu.Unlock()
	m.wake()
	return len(p), nil
}

func (m *markBuffer) wake() {
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

type marked struct {
	before []byte
	after  string // the rest of the marker's line (for stdout, the status)
}

// until waits for mark, then removes everything up to the end of its line
// from the buffer and returns it split at the marker.
func (m *markBuffer) until(ctx context.Context, done <-chan struct{}, mark string) (marked, error) {
	for {
		m.mu.Lock()
		buf := m.b.Bytes()
		if i := bytes.Index(buf, []byte(mark)); i >= 0 {
			if j := bytes.IndexByte(buf[i+len(mark):], '\n'); j >= 0 {
				end := i + len(mark) + j
				res := marked{before: bytes.Clone(buf[:i]), after: string(buf[i+len(mark) : end])}
				m.b.Next(end + 1)
				m.mu.Unlock()
				return res, nil
			}
		}
		m.mu.Unlock()
		select {
		case <-m.notify:
		case <-ctx.Done():
			return marked{}, ctx.Err()
		case <-done:
			// The stream ended: everything it wrote is in the buffer.
			m.mu.Lock()
			buf := m.b.Bytes()
			i := bytes.Index(buf, []byte(mark))
			complete := i >= 0 && bytes.IndexByte(buf[i+len(mark):], '\n') >= 0
			m.mu.Unlock()
			if !complete {
				return marked{}, errors.New("the shell ended before the command did (container stopped?)")
			}
		}
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
