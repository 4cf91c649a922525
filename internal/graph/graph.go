// Package graph draws a lab: its networks, routers, cluster nodes and
// clients, what is attached where, and the BGP sessions between them, with
// each session's state when the lab is up. One model, two renderings:
// Mermaid (for Markdown and issue trackers) and Graphviz DOT.
package graph

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerlab/peerlab/topologies"
)

// Kind of a vertex.
type Kind string

const (
	Network Kind = "network"
	Router  Kind = "router"
	Node    Kind = "node"
	Client  Kind = "client"
)

// Vertex is one box of the drawing.
type Vertex struct {
	ID    string   `json:"id"`
	Kind  Kind     `json:"kind"`
	Name  string   `json:"name"`
	Lines []string `json:"lines,omitempty"` // shown under the name
}

// Edge joins two vertices: an attachment to a network (Session false) or a
// BGP session.
type Edge struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Label   string `json:"label,omitempty"`
	Session bool   `json:"session,omitempty"`
	// State is the session's state when the lab is up ("" when unknown);
	// Up says whether every family of it is Established.
	State string `json:"state,omitempty"`
	Up    bool   `json:"up,omitempty"`
}

// Graph is the lab as vertices and edges.
type Graph struct {
	Title    string   `json:"title"`
	Vertices []Vertex `json:"vertices"`
	Edges    []Edge   `json:"edges"`
}

// SessionKey names a session by its router and the other end (a node's
// short name, as topologies name nodes, or another router's name). Between
// two routers, either end's key is found.
type SessionKey struct{ Router, Peer string }

// Build draws a prepared topology. states, when not nil, holds the live
// state of each session (by router and peer); a session the topology
// implies but states lacks is drawn as not established.
func Build(t topologies.Topology, states map[SessionKey]string) Graph {
	g := Graph{Title: t.Name}
	id := func(k Kind, name string) string { return string(k) + "_" + sanitize(name) }
	for _, n := range t.Networks {
		var lines []string
		for _, p := range []netip.Prefix{n.IPv4, n.IPv6} {
			if p.IsValid() {
				lines = append(lines, p.String())
			}
		}
		g.Vertices = append(g.Vertices, Vertex{ID: id(Network, n.Name), Kind: Network, Name: "network " + n.Name, Lines: lines})
	}
	for _, r := range t.Routers {
		g.Vertices = append(g.Vertices, Vertex{ID: id(Router, r.Name), Kind: Router, Name: r.Name, Lines: []string{fmt.Sprintf("AS %d, %s", r.ASN, r.Role)}})
		for _, a := range r.Interfaces {
			g.Edges = append(g.Edges, Edge{From: id(Router, r.Name), To: id(Network, a.Network), Label: addrs(a.IPv4, a.IPv6)})
		}
	}
	announcing := t.Cluster.AnnouncingNodeNames()
	for _, n := range t.Cluster.NodeNames() {
		lines := []string{fmt.Sprintf("AS %d", t.MetalLB.ASN)}
		if !slices.Contains(announcing, n) {
			lines = []string{"does not announce"}
		}
		g.Vertices = append(g.Vertices, Vertex{ID: id(Node, n), Kind: Node, Name: n, Lines: lines})
		g.Edges = append(g.Edges, Edge{From: id(Node, n), To: id(Network, t.Cluster.Network), Label: "dynamic"})
	}
	for _, c := range t.Clients {
		g.Vertices = append(g.Vertices, Vertex{ID: id(Client, c.Name), Kind: Client, Name: c.Name, Lines: []string{"via " + c.Via}})
		g.Edges = append(g.Edges, Edge{From: id(Client, c.Name), To: id(Network, c.Network), Label: addrs(c.IPv4, c.IPv6)})
	}
	session := func(router, peer, peerID, label string) {
		e := Edge{From: id(Router, router), To: peerID, Label: label, Session: true}
		if states != nil {
			e.State = states[SessionKey{router, peer}]
			if e.State == "" {
				// A router pair is drawn once; either end's view will do.
				e.State = states[SessionKey{peer, router}]
			}
			if e.State == "" {
				e.State = "no session"
			}
			e.Up = upState(e.State)
		}
		g.Edges = append(g.Edges, e)
	}
	// Node sessions come from MetalLB's peers: each selects its nodes.
	for _, mp := range t.MetalLB.Peers {
		r, ok := t.Router(mp.Router)
		if !ok {
			continue
		}
		nodes := mp.Nodes
		if len(nodes) == 0 {
			nodes = t.Cluster.NodeNames()
		}
		for _, n := range nodes {
			session(r.Name, n, id(Node, n), sessionLabel(r.ASN == t.MetalLB.ASN, mp.EBGPMultiHop, mp.BFDProfile != "", mp.Password != ""))
		}
	}
	// Router to router sessions, once per pair (both ends configure them).
	seen := map[[2]string]bool{}
	for _, r := range t.Routers {
		for _, p := range r.Peers {
			if p.Router == "" {
				continue
			}
			pair := [2]string{r.Name, p.Router}
			if pair[1] < pair[0] {
				pair[0], pair[1] = pair[1], pair[0]
			}
			if seen[pair] {
				continue
			}
			seen[pair] = true
			// Both ends configure the session: draw what either asks.
			other, _ := t.Router(p.Router)
			back := topologies.Peer{}
			for _, q := range other.Peers {
				if q.Router == r.Name {
					back = q
				}
			}
			label := sessionLabel(other.ASN == r.ASN, p.MultiHop || back.MultiHop, p.BFD || back.BFD, p.Password != "" || back.Password != "")
			var addPath []string
			if p.AddPathAll {
				addPath = append(addPath, r.Name)
			}
			if back.AddPathAll {
				addPath = append(addPath, other.Name)
			}
			if len(addPath) > 0 {
				label += ", add-path from " + strings.Join(addPath, " and ")
			}
			session(r.Name, p.Router, id(Router, p.Router), label)
		}
	}
	return g
}

func sessionLabel(ibgp, multihop, bfd, md5 bool) string {
	parts := []string{"eBGP"}
	if ibgp {
		parts[0] = "iBGP"
	}
	if multihop {
		parts = append(parts, "multihop")
	}
	if bfd {
		parts = append(parts, "BFD")
	}
	if md5 {
		parts = append(parts, "MD5")
	}
	return strings.Join(parts, ", ")
}

// upState: every family in the state string is Established.
func upState(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ", ") {
		if !strings.HasSuffix(part, "Established") {
			return false
		}
	}
	return true
}

func addrs(a ...netip.Addr) string {
	var out []string
	for _, x := range a {
		if x.IsValid() {
			out = append(out, x.String())
		}
	}
	return strings.Join(out, " ")
}

// sanitize keeps letters, digits and underscores (Mermaid and DOT IDs).
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, s)
}

// Mermaid renders the graph as a Mermaid flowchart.
func (g Graph) Mermaid() string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart LR\n", mermaidText(g.Title))
	for _, v := range g.Vertices {
		label := mermaidText(strings.Join(append([]string{v.Name}, v.Lines...), "<br/>"))
		switch v.Kind {
		case Network:
			fmt.Fprintf(&b, "  %s{{\"%s\"}}\n", v.ID, label)
		case Router:
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", v.ID, label)
		case Node:
			fmt.Fprintf(&b, "  %s([\"%s\"])\n", v.ID, label)
		case Client:
			fmt.Fprintf(&b, "  %s[/\"%s\"/]\n", v.ID, label)
		}
	}
	var up, down []int
	for i, e := range g.Edges {
		label := e.Label
		if e.State != "" {
			label += ": " + e.State
		}
		arrow := "---"
		if e.Session {
			arrow = "-.-"
			if e.State != "" {
				if e.Up {
					up = append(up, i)
				} else {
					down = append(down, i)
				}
			}
		}
		if label == "" {
			fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
		} else {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.From, arrow, mermaidText(label), e.To)
		}
	}
	fmt.Fprintf(&b, "  classDef network fill:#eef,stroke:#669\n  classDef router fill:#ffd,stroke:#996\n  classDef node fill:#efe,stroke:#696\n  classDef client fill:#fef,stroke:#969\n")
	for _, k := range []Kind{Network, Router, Node, Client} {
		var ids []string
		for _, v := range g.Vertices {
			if v.Kind == k {
				ids = append(ids, v.ID)
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "  class %s %s\n", strings.Join(ids, ","), k)
		}
	}
	if len(up) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:#2a2,stroke-width:2px\n", joinInts(up))
	}
	if len(down) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:#d22,stroke-width:2px\n", joinInts(down))
	}
	return b.String()
}

// mermaidText escapes what would end a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// DOT renders the graph for Graphviz (undirected).
func (g Graph) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s {\n  rankdir=LR;\n  label=%s;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n", dotText(g.Title), dotText(g.Title))
	shapes := map[Kind]string{
		Network: `shape=hexagon, style=filled, fillcolor="#eeeeff"`,
		Router:  `shape=box, style=filled, fillcolor="#ffffdd"`,
		Node:    `shape=box, style="rounded,filled", fillcolor="#eeffee"`,
		Client:  `shape=parallelogram, style=filled, fillcolor="#ffeeff"`,
	}
	for _, v := range g.Vertices {
		fmt.Fprintf(&b, "  %s [label=%s, %s];\n", v.ID, dotText(strings.Join(append([]string{v.Name}, v.Lines...), "\n")), shapes[v.Kind])
	}
	for _, e := range g.Edges {
		label := e.Label
		if e.State != "" {
			label += "\n" + e.State
		}
		attrs := []string{"label=" + dotText(label)}
		if e.Session {
			attrs = append(attrs, "style=dashed")
			switch {
			case e.State == "":
			case e.Up:
				attrs = append(attrs, `color="#22aa22"`)
			default:
				attrs = append(attrs, `color="#dd2222"`)
			}
		}
		fmt.Fprintf(&b, "  %s -- %s [%s];\n", e.From, e.To, strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotText quotes a DOT string.
func dotText(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
