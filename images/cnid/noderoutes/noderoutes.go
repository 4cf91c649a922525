// Package noderoutes is the file through which the harness tells every node
// which routes the lab needs on it, and peerlab-cnid (in the node image)
// keeps them in place. It lives under the daemon's directory so that a
// change to it rebuilds the daemon's image.
package noderoutes

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// Path is where the file lives on a node (a hostPath the daemon mounts).
const Path = "/etc/peerlab/node-routes.json"

// File lists the routes a node must keep.
type File struct {
	// Networks are the prefixes of the lab network the node sits on. The
	// interface holding an address in one of them is the one on-link
	// routes use (addresses survive a link going down; routes do not).
	Networks []netip.Prefix `json:"networks"`
	Routes   []Route        `json:"routes"`
}

// Route is one route: Dst via Via, or on-link through the lab interface
// when Via is not set. A default route has Dst 0.0.0.0/0 or ::/0.
type Route struct {
	Dst netip.Prefix `json:"dst"`
	Via netip.Addr   `json:"via,omitzero"`
}

func (r Route) String() string {
	if r.Via.IsValid() {
		return fmt.Sprintf("%s via %s", r.Dst, r.Via)
	}
	return fmt.Sprintf("%s on-link", r.Dst)
}

// Marshal renders the file.
func (f File) Marshal() ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(f, "", "  ")
}

// Parse reads the file and checks that every route is usable.
func Parse(b []byte) (File, error) {
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return File{}, fmt.Errorf("node routes: %w", err)
	}
	return f, f.check()
}

func (f File) check() error {
	if len(f.Networks) == 0 {
		return fmt.Errorf("node routes: no networks: on-link routes need the lab interface")
	}
	for i, r := range f.Routes {
		if !r.Dst.IsValid() {
			return fmt.Errorf("node routes: routes[%d]: no destination", i)
		}
		if r.Via.IsValid() && r.Via.Is4() != r.Dst.Addr().Is4() {
			return fmt.Errorf("node routes: routes[%d]: %s: the gateway is of the other family", i, r)
		}
	}
	return nil
}
