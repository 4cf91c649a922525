package routers

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Config is a rendered router configuration: the files FRR reads from
// /etc/frr at start-up.
type Config struct {
	// FRRConf is frr.conf, FRR's integrated configuration.
	FRRConf string
	// Daemons is the daemons file that says which daemons start.
	Daemons string
	// VtyshConf is vtysh.conf; it selects the integrated configuration mode
	// that frr-reload.py (and so Apply) requires.
	VtyshConf string
}

// Paths of the configuration files inside the router container.
const (
	FRRConfPath   = "/etc/frr/frr.conf"
	DaemonsPath   = "/etc/frr/daemons"
	VtyshConfPath = "/etc/frr/vtysh.conf"
)

//go:embed templates/frr.conf.tmpl
var frrConfTemplateText string

//go:embed templates/daemons.tmpl
var daemonsText string

var frrConfTemplate = template.Must(template.New("frr.conf").Parse(frrConfTemplateText))

const vtyshConfText = "service integrated-vtysh-config\n"

// debugCommands are the FRR commands each DebugArea turns on.
var debugCommands = map[DebugArea][]string{
	DebugBGP:   {"debug bgp neighbor-events", "debug bgp updates", "debug bgp nht", "debug bgp bfd"},
	DebugBFD:   {"debug bfd peer", "debug bfd network", "debug bfd zebra"},
	DebugZebra: {"debug zebra events", "debug zebra rib", "debug zebra kernel"},
}

// Render validates s and renders it. The output is deterministic: the same
// Spec always gives the same bytes, so rendered configs can be compared and
// kept as golden files.
func (s Spec) Render() (Config, error) {
	if err := s.Validate(); err != nil {
		return Config{}, fmt.Errorf("invalid router spec: %w", err)
	}
	var buf bytes.Buffer
	if err := frrConfTemplate.Execute(&buf, s.view()); err != nil {
		return Config{}, fmt.Errorf("render frr.conf: %w", err)
	}
	return Config{FRRConf: buf.String(), Daemons: daemonsText, VtyshConf: vtyshConfText}, nil
}

// LogFile is the file the rendered configuration logs to.
func (s Spec) LogFile() string {
	if s.Log.File != "" {
		return s.Log.File
	}
	return DefaultLogFile
}

// The view types hold the template's input: every FRR command is built in
// Go, where it can be unit-tested, and the template only lays out blocks.
type (
	confView struct {
		Hostname, LogFile, LogLevel string
		Debug                       []string
		PrefixLists                 []prefixListView
		CommunityLists              []communityListView
		RouteMaps                   []routeMapView
		StaticRoutes                []string
		BFDProfiles                 []linesView
		BGP                         *bgpView
	}
	prefixListView struct {
		Kind, Name string
		Entries    []prefixListEntryView
	}
	prefixListEntryView struct {
		Seq                    int
		Action, Prefix, Bounds string
	}
	communityListView struct {
		Name    string
		Entries []communityListEntryView
	}
	communityListEntryView struct {
		Seq                 int
		Action, Communities string
	}
	routeMapView struct {
		Name    string
		Entries []routeMapEntryView
	}
	routeMapEntryView struct {
		Seq    int
		Action string
		Lines  []string
	}
	linesView struct {
		Name  string
		Lines []string
	}
	bgpView struct {
		ASN             uint32
		Globals         []string
		Peers           [][]string
		AddressFamilies []linesView
	}
)

func (s Spec) view() confView {
	v := confView{Hostname: s.Hostname, LogFile: s.LogFile(), LogLevel: "informational"}
	if len(s.Log.Debug) > 0 {
		v.LogLevel = "debugging"
	}
	for _, d := range s.Log.Debug {
		v.Debug = append(v.Debug, debugCommands[d]...)
	}

	prefixListKind := map[string]string{}
	for _, pl := range s.PrefixLists {
		plv := prefixListView{Kind: "ip", Name: pl.Name}
		if pl.Entries[0].Prefix.Addr().Is6() {
			plv.Kind = "ipv6"
		}
		prefixListKind[pl.Name] = plv.Kind
		for i, e := range pl.Entries {
			var bounds string
			if e.GE != 0 {
				bounds += " ge " + strconv.Itoa(e.GE)
			}
			if e.LE != 0 {
				bounds += " le " + strconv.Itoa(e.LE)
			}
			plv.Entries = append(plv.Entries, prefixListEntryView{
				Seq: seqOrAuto(e.Seq, i, 5), Action: string(e.Action), Prefix: e.Prefix.String(), Bounds: bounds,
			})
		}
		v.PrefixLists = append(v.PrefixLists, plv)
	}
	for _, cl := range s.CommunityLists {
		clv := communityListView{Name: cl.Name}
		for i, e := range cl.Entries {
			clv.Entries = append(clv.Entries, communityListEntryView{
				Seq: seqOrAuto(e.Seq, i, 5), Action: string(e.Action), Communities: strings.Join(e.Communities, " "),
			})
		}
		v.CommunityLists = append(v.CommunityLists, clv)
	}
	for _, rm := range s.RouteMaps {
		rmv := routeMapView{Name: rm.Name}
		for i, e := range rm.Entries {
			rmv.Entries = append(rmv.Entries, routeMapEntryView{
				Seq: seqOrAuto(e.Seq, i, 10), Action: string(e.Action), Lines: e.lines(prefixListKind),
			})
		}
		v.RouteMaps = append(v.RouteMaps, rmv)
	}
	for _, r := range s.StaticRoutes {
		v.StaticRoutes = append(v.StaticRoutes, r.line())
	}
	for _, p := range s.BFDProfiles {
		v.BFDProfiles = append(v.BFDProfiles, linesView{Name: p.Name, Lines: p.lines()})
	}
	if s.ASN != 0 {
		v.BGP = s.bgpView()
	}
	return v
}

func (e RouteMapEntry) lines(prefixListKind map[string]string) []string {
	var l []string
	if n := e.Match.PrefixList; n != "" {
		l = append(l, fmt.Sprintf("match %s address prefix-list %s", prefixListKind[n], n))
	}
	if n := e.Match.CommunityList; n != "" {
		l = append(l, "match community "+n)
	}
	if p := e.Set.LocalPreference; p != nil {
		l = append(l, fmt.Sprintf("set local-preference %d", *p))
	}
	if m := e.Set.Metric; m != nil {
		l = append(l, fmt.Sprintf("set metric %d", *m))
	}
	if len(e.Set.Communities) > 0 {
		line := "set community " + strings.Join(e.Set.Communities, " ")
		if e.Set.CommunitiesAdditive {
			line += " additive"
		}
		l = append(l, line)
	}
	if len(e.Set.LargeCommunities) > 0 {
		line := "set large-community " + strings.Join(e.Set.LargeCommunities, " ")
		if e.Set.LargeCommunitiesAdditive {
			line += " additive"
		}
		l = append(l, line)
	}
	if len(e.Set.ASPathPrepend) > 0 {
		asns := make([]string, len(e.Set.ASPathPrepend))
		for i, a := range e.Set.ASPathPrepend {
			asns[i] = strconv.FormatUint(uint64(a), 10)
		}
		l = append(l, "set as-path prepend "+strings.Join(asns, " "))
	}
	if e.Set.IPv6NextHopPreferGlobal {
		l = append(l, "set ipv6 next-hop prefer-global")
	}
	return l
}

func (r StaticRoute) line() string {
	line := "ip route "
	if r.Prefix.Addr().Is6() {
		line = "ipv6 route "
	}
	line += r.Prefix.String()
	if r.Blackhole {
		line += " blackhole"
	}
	if r.NextHop.IsValid() {
		line += " " + r.NextHop.String()
	}
	if r.Interface != "" {
		line += " " + r.Interface
	}
	if r.Distance != 0 {
		line += " " + strconv.Itoa(r.Distance)
	}
	return line
}

func (p BFDProfile) lines() []string {
	var l []string
	if p.DetectMultiplier != 0 {
		l = append(l, fmt.Sprintf("detect-multiplier %d", p.DetectMultiplier))
	}
	if p.ReceiveInterval != 0 {
		l = append(l, "receive-interval "+millis(p.ReceiveInterval))
	}
	if p.TransmitInterval != 0 {
		l = append(l, "transmit-interval "+millis(p.TransmitInterval))
	}
	if p.EchoMode {
		l = append(l, "echo-mode")
		if p.EchoInterval != 0 {
			l = append(l, "echo transmit-interval "+millis(p.EchoInterval), "echo receive-interval "+millis(p.EchoInterval))
		}
	}
	if p.Passive {
		l = append(l, "passive-mode")
	}
	if p.MinimumTTL != 0 {
		l = append(l, fmt.Sprintf("minimum-ttl %d", p.MinimumTTL))
	}
	return l
}

func (s Spec) bgpView() *bgpView {
	b := &bgpView{ASN: s.ASN}
	if s.RouterID.IsValid() {
		b.Globals = append(b.Globals, "bgp router-id "+s.RouterID.String())
	}
	// FRR's "traditional" defaults since 7.4 drop every route on eBGP
	// sessions without an explicit policy (RFC 8212); lab routers exchange
	// routes freely unless a route-map says otherwise.
	b.Globals = append(b.Globals, "no bgp ebgp-requires-policy")
	// Every session is activated explicitly in the families it carries, so
	// an IPv6 session does not also carry IPv4 by accident.
	b.Globals = append(b.Globals, "no bgp default ipv4-unicast")
	if !s.NetworkImportCheck {
		b.Globals = append(b.Globals, "no bgp network import-check")
	}
	if s.MultipathRelax {
		b.Globals = append(b.Globals, "bgp bestpath as-path multipath-relax")
	}
	if s.ListenLimit != 0 {
		b.Globals = append(b.Globals, fmt.Sprintf("bgp listen limit %d", s.ListenLimit))
	}

	groupFamilies := s.groupFamilies()
	type afPeer struct {
		name     string
		settings PeerSettings
		activate bool
	}
	perFamily := map[AddressFamily][]afPeer{}

	for _, g := range s.PeerGroups {
		lines := []string{fmt.Sprintf("neighbor %s peer-group", g.Name)}
		lines = append(lines, g.PeerSettings.lines(g.Name, true)...)
		for _, lr := range s.ListenRanges {
			if lr.PeerGroup == g.Name {
				lines = append(lines, fmt.Sprintf("bgp listen range %s peer-group %s", lr.Prefix, g.Name))
			}
		}
		b.Peers = append(b.Peers, lines)
		for _, af := range groupFamilies[g.Name] {
			perFamily[af] = append(perFamily[af], afPeer{g.Name, g.PeerSettings, true})
		}
	}
	for _, n := range s.Neighbors {
		name := n.Address.String()
		var lines []string
		if n.hasRemoteAS() {
			lines = append(lines, n.remoteASLine(name))
		}
		if n.PeerGroup != "" {
			lines = append(lines, fmt.Sprintf("neighbor %s peer-group %s", name, n.PeerGroup))
		}
		// Members inherit the group's connect timer; others get the default.
		lines = append(lines, n.PeerSettings.settingLines(name, n.PeerGroup == "")...)
		b.Peers = append(b.Peers, lines)

		families, explicit := n.AddressFamilies, len(n.AddressFamilies) > 0
		if !explicit {
			if n.PeerGroup != "" {
				families = groupFamilies[n.PeerGroup]
			} else {
				families = []AddressFamily{familyOf(n.Address)}
			}
		}
		for _, af := range families {
			// A member is activated through its group unless it lists its
			// own families.
			perFamily[af] = append(perFamily[af], afPeer{name, n.PeerSettings, explicit || n.PeerGroup == ""})
		}
	}

	for _, af := range []AddressFamily{IPv4Unicast, IPv6Unicast} {
		var lines []string
		for _, p := range s.Originate {
			if familyOf(p.Addr()) == af {
				lines = append(lines, "network "+p.String())
			}
		}
		for _, r := range s.Redistribute {
			lines = append(lines, "redistribute "+string(r))
		}
		if s.MaximumPaths != 0 {
			lines = append(lines, fmt.Sprintf("maximum-paths %d", s.MaximumPaths))
		}
		if s.MaximumPathsIBGP != 0 {
			lines = append(lines, fmt.Sprintf("maximum-paths ibgp %d", s.MaximumPathsIBGP))
		}
		for _, p := range perFamily[af] {
			if p.activate {
				lines = append(lines, fmt.Sprintf("neighbor %s activate", p.name))
			}
			lines = append(lines, p.settings.familyLines(p.name)...)
		}
		if len(lines) > 0 {
			b.AddressFamilies = append(b.AddressFamilies, linesView{Name: string(af), Lines: lines})
		}
	}
	return b
}

// groupFamilies decides the families of each peer group: its own list, or
// the families of the listen ranges and member addresses that use it, or
// IPv4 when nothing says otherwise.
func (s Spec) groupFamilies() map[string][]AddressFamily {
	out := map[string][]AddressFamily{}
	for _, g := range s.PeerGroups {
		if len(g.AddressFamilies) > 0 {
			out[g.Name] = g.AddressFamilies
			continue
		}
		seen := map[AddressFamily]bool{}
		for _, lr := range s.ListenRanges {
			if lr.PeerGroup == g.Name {
				seen[familyOf(lr.Prefix.Addr())] = true
			}
		}
		for _, n := range s.Neighbors {
			if n.PeerGroup == g.Name && len(n.AddressFamilies) == 0 {
				seen[familyOf(n.Address)] = true
			}
		}
		var fams []AddressFamily
		for _, af := range []AddressFamily{IPv4Unicast, IPv6Unicast} {
			if seen[af] {
				fams = append(fams, af)
			}
		}
		if len(fams) == 0 {
			fams = []AddressFamily{IPv4Unicast}
		}
		out[g.Name] = fams
	}
	return out
}

func (p PeerSettings) remoteASLine(name string) string {
	switch p.RemoteASKind {
	case RemoteASInternal:
		return fmt.Sprintf("neighbor %s remote-as internal", name)
	case RemoteASExternal:
		return fmt.Sprintf("neighbor %s remote-as external", name)
	}
	return fmt.Sprintf("neighbor %s remote-as %d", name, p.RemoteASN)
}

// lines renders a peer group's session settings, remote AS included.
func (p PeerSettings) lines(name string, defaultConnect bool) []string {
	var l []string
	if p.hasRemoteAS() {
		l = append(l, p.remoteASLine(name))
	}
	return append(l, p.settingLines(name, defaultConnect)...)
}

func (p PeerSettings) settingLines(name string, defaultConnect bool) []string {
	var l []string
	add := func(format string, args ...any) {
		l = append(l, fmt.Sprintf("neighbor %s ", name)+fmt.Sprintf(format, args...))
	}
	if p.Description != "" {
		add("description %s", p.Description)
	}
	if p.EBGPMultihop != 0 {
		add("ebgp-multihop %d", p.EBGPMultihop)
	}
	if p.UpdateSource != "" {
		add("update-source %s", p.UpdateSource)
	}
	if p.Password != "" {
		add("password %s", p.Password)
	}
	if p.Passive {
		add("passive")
	}
	if p.Keepalive != 0 || p.Hold != 0 {
		add("timers %d %d", p.Keepalive/time.Second, p.Hold/time.Second)
	}
	switch {
	case p.ConnectRetry != 0:
		add("timers connect %d", p.ConnectRetry/time.Second)
	case defaultConnect:
		add("timers connect %d", DefaultConnectRetry/time.Second)
	}
	if p.BFD {
		add("bfd")
		if p.BFDProfile != "" {
			add("bfd profile %s", p.BFDProfile)
		}
	}
	return l
}

func (p PeerSettings) familyLines(name string) []string {
	var l []string
	if p.NextHopSelf {
		l = append(l, fmt.Sprintf("neighbor %s next-hop-self", name))
	}
	if p.SoftReconfigurationInbound {
		l = append(l, fmt.Sprintf("neighbor %s soft-reconfiguration inbound", name))
	}
	if p.AddPathTxAllPaths {
		l = append(l, fmt.Sprintf("neighbor %s addpath-tx-all-paths", name))
	}
	if p.RouteMapIn != "" {
		l = append(l, fmt.Sprintf("neighbor %s route-map %s in", name, p.RouteMapIn))
	}
	if p.RouteMapOut != "" {
		l = append(l, fmt.Sprintf("neighbor %s route-map %s out", name, p.RouteMapOut))
	}
	return l
}

func familyOf(a netip.Addr) AddressFamily {
	if a.Is4() {
		return IPv4Unicast
	}
	return IPv6Unicast
}

func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
