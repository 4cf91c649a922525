package harness

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"sigs.k8s.io/kind/pkg/log"
)

// kindLogger adapts kind's logger to the lab's progress output. Kind's
// verbose levels stay quiet; warnings and plain info lines go through.
type kindLogger struct {
	mu  *sync.Mutex
	out io.Writer
}

var _ log.Logger = kindLogger{}

func (l kindLogger) write(prefix, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "  kind: %s%s\n", prefix, strings.TrimRight(msg, "\n"))
}

func (l kindLogger) Warn(message string)                      { l.write("warning: ", message) }
func (l kindLogger) Warnf(format string, args ...interface{}) { l.Warn(fmt.Sprintf(format, args...)) }
func (l kindLogger) Error(message string)                     { l.write("error: ", message) }
func (l kindLogger) Errorf(format string, args ...interface{}) {
	l.Error(fmt.Sprintf(format, args...))
}
func (l kindLogger) V(level log.Level) log.InfoLogger {
	if level > 0 {
		return log.NoopInfoLogger{}
	}
	return kindInfo{l}
}

type kindInfo struct{ l kindLogger }

func (i kindInfo) Info(message string)                      { i.l.write("", message) }
func (i kindInfo) Infof(format string, args ...interface{}) { i.Info(fmt.Sprintf(format, args...)) }
func (i kindInfo) Enabled() bool                            { return true }
