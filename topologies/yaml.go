package topologies

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// Load reads a topology file with Parse. It does not apply defaults nor validate.
func Load(path string) (Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Topology{}, err
	}
	t, err := Parse(data)
	if err != nil {
		return Topology{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse decodes a topology from YAML, strictly: an unknown or misspelt field (keys are
// case-sensitive), a duplicate key, a value of the wrong type or an unparsable address is an
// error. Every such problem is reported at once, as Errors, each with its path. Parse does
// not apply defaults nor validate.
func Parse(data []byte) (Topology, error) {
	// First pass: check the document's shape against the Go types on a generic tree, which
	// lets every problem be reported with its path (encoding/json stops at the first one,
	// names no path for address errors, and matches keys case-insensitively).
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return Topology{}, fmt.Errorf("invalid YAML: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return Topology{}, fmt.Errorf("invalid YAML: %w", err)
	}
	if doc == nil {
		return Topology{}, errors.New("empty topology document")
	}
	var l errorList
	checkShape(&l, doc, reflect.TypeFor[Topology](), "")
	if err := l.err(); err != nil {
		return Topology{}, err
	}
	// Second pass: the real decode, which the first pass has made sure succeeds.
	var t Topology
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return Topology{}, fmt.Errorf("invalid topology: %w", err)
	}
	return t, nil
}

// Marshal encodes a topology as YAML with keys in the order of the Go fields (the order the
// example files use) and empty optional fields left out. Parse(Marshal(t)) gives t back.
func Marshal(t Topology) ([]byte, error) {
	j, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	// JSON is YAML; decoding it into a node keeps the key order, and clearing the JSON
	// quoting style lets the encoder write plain YAML, quoting only where needed.
	var n yaml3.Node
	if err := yaml3.Unmarshal(j, &n); err != nil {
		return nil, err
	}
	plainStyle(&n)
	var b bytes.Buffer
	enc := yaml3.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func plainStyle(n *yaml3.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// checkShape checks that the generic JSON value v (objects, arrays, strings, json.Number,
// bools, nil) decodes into type t, reporting every problem under path.
func checkShape(l *errorList, v any, t reflect.Type, path string) {
	if v == nil {
		return // null decodes to the zero value
	}
	if t.Kind() == reflect.Pointer {
		// An optional value (e.g. a pool's autoAssign): present means set.
		checkShape(l, v, t.Elem(), path)
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s, ok := v.(string)
		if !ok {
			l.add(path, "expected a string, got %s", describe(v))
			return
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			l.add(path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			l.add(path, "expected a mapping, got %s", describe(v))
			return
		}
		fields := jsonFields(t)
		var names []string
		for _, f := range fields {
			names = append(names, f.name)
			if fv, present := m[f.name]; present {
				checkShape(l, fv, f.typ, join(path, f.name))
			}
		}
		var unknown []string
		for k := range m {
			if !slices.Contains(names, k) {
				unknown = append(unknown, k)
			}
		}
		slices.Sort(unknown)
		for _, k := range unknown {
			hint := "valid fields: " + strings.Join(names, ", ")
			for _, n := range names {
				if strings.EqualFold(n, k) {
					hint = fmt.Sprintf("did you mean %q?", n)
				}
			}
			l.add(join(path, k), "unknown field (%s)", hint)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			l.add(path, "expected a list, got %s", describe(v))
			return
		}
		names := make([]string, len(arr))
		for i, e := range arr {
			if m, ok := e.(map[string]any); ok {
				names[i], _ = m["name"].(string)
			}
		}
		for i, label := range labels(names) {
			checkShape(l, arr[i], t.Elem(), index(path, label))
		}
	case reflect.String:
		switch v.(type) {
		case string, json.Number, bool: // the YAML decoder turns numbers and booleans into strings
		default:
			l.add(path, "expected a string, got %s", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			l.add(path, "expected true or false, got %s", describe(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			l.add(path, "expected an integer, got %s", describe(v))
			return
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			l.add(path, "%s is not an integer that fits in %d bits", n, t.Bits())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			l.add(path, "expected an integer, got %s", describe(v))
			return
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); err != nil {
			l.add(path, "%s is not an integer in 0..%d", n, uint64(1)<<t.Bits()-1)
		}
	default:
		// Every field of the model has one of the kinds above; a new kind must be added here.
		l.add(path, "internal: no shape check for %s", t)
	}
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON names and types of a struct's exported fields, in order.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	return out
}

func describe(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %t", x)
	}
	return fmt.Sprintf("%T", v)
}
