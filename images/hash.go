package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// hasher accumulates named inputs into one digest. Names keep two different
// input sets from colliding by concatenation.
type hasher struct {
	h   io.Writer
	sum func() []byte
}

func newHasher() *hasher {
	h := sha256.New()
	return &hasher{h: h, sum: func() []byte { return h.Sum(nil) }}
}

func (h *hasher) add(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain data is hashed; a marshal error is a programming error.
		panic(fmt.Sprintf("images: hash %s: %v", name, err))
	}
	fmt.Fprintf(h.h, "%s\x00%d\x00", name, len(b))
	h.h.Write(b)
}

// addFile hashes a file's content (not its times), so a checkout's fresh
// mtimes do not force rebuilds.
func (h *hasher) addFile(name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(h.h, "%s\x00file\x00", name)
	_, err = io.Copy(h.h, f)
	return err
}

// addTree hashes every regular file below dir whose name passes keep, in a
// stable order.
func (h *hasher) addTree(name, dir string, keep func(path string) bool) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && (keep == nil || keep(p)) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		if err := h.addFile(name+"/"+rel, f); err != nil {
			return err
		}
	}
	return nil
}

func (h *hasher) hex() string { return hex.EncodeToString(h.sum()) }

// short is the prefix used in cache directory names.
func short(hash string) string { return hash[:16] }
