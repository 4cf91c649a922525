package topologies

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldError is one problem found in a topology. Path names the element and field the way a
// reader finds them in the YAML, e.g. routers[edge].peers[0].router; Msg says what is wrong
// and, where it helps, what would be right.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found by one Parse or Validate, in a stable order (the order of
// the fields in the topology). Use errors.As to get it from the error they return.
type Errors []*FieldError

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see each problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorList collects problems; err returns nil when there are none, never a typed nil.
type errorList struct{ errs Errors }

func (l *errorList) add(path, format string, args ...any) {
	l.errs = append(l.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs
}

// join appends a field name to a path.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// index appends a list index or element label to a path.
func index(path, label string) string {
	return path + "[" + label + "]"
}

// labels names the elements of a list for error paths: by name when the name is set and
// unique in the list, otherwise by index, so that a path always points at one element.
func labels(names []string) []string {
	count := make(map[string]int, len(names))
	for _, n := range names {
		count[n]++
	}
	out := make([]string, len(names))
	for i, n := range names {
		if n != "" && count[n] == 1 {
			out[i] = n
		} else {
			out[i] = strconv.Itoa(i)
		}
	}
	return out
}
