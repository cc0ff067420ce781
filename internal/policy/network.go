package policy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/sqlerr"
)

// RuleNetwork is the rule of a network refusal.
const RuleNetwork = "network"

// Stages at which the network rules are applied, earliest first.
const (
	// NetAccept: the TCP connection was just accepted; only the address
	// and protocol are known.
	NetAccept = "accept"
	// NetLogin: the client said who it is (PostgreSQL startup message,
	// MySQL handshake response, HTTP or Flight SQL credentials), before
	// its password or token is checked.
	NetLogin = "login"
	// NetConnect: an authenticated user opens a database (also a MySQL
	// change of database, every data-API request).
	NetConnect = "connect"
	// NetStatement: every statement of an established session, so that
	// a reload's rules reach sessions opened before it.
	NetStatement = "statement"
)

// NetFacts is what is known of a client at a stage. Empty fields are not
// known yet (user and database names are never empty once known), unless
// Final says that nothing more will be.
type NetFacts struct {
	Client   netip.Addr
	Protocol string
	User     string
	// Roles are the user's roles from the configuration (never from the
	// client); RolesKnown says they were looked up.
	Roles      []string
	RolesKnown bool
	Database   string
	// Final: what is unknown now stays unknown (a session without a
	// database), so a rule naming it does not match.
	Final bool
}

// netRule is a compiled config.NetworkRule.
type netRule struct {
	key       string // network.rules[i]
	allow     bool
	prefixes  []netip.Prefix
	users     []string
	roles     []string
	databases []string
	protocols []string
}

// netRules are the compiled network rules of a configuration.
type netRules struct {
	on    bool
	allow bool // the default
	rules []netRule
}

func compileNetwork(n *config.Network) (netRules, error) {
	if n == nil {
		return netRules{}, nil
	}
	out := netRules{on: true, allow: n.Default != config.NetworkDeny}
	for i, r := range n.Rules {
		nr := netRule{key: fmt.Sprintf("network.rules[%d]", i), allow: r.Action == config.NetworkAllow,
			users: r.Users, roles: r.Roles, databases: r.Databases, protocols: r.Protocols}
		for _, s := range r.CIDRs {
			p, err := config.ParseCIDR(s)
			if err != nil {
				return netRules{}, fmt.Errorf("%s.cidrs: %w", nr.key, err)
			}
			nr.prefixes = append(nr.prefixes, p)
		}
		out.rules = append(out.rules, nr)
	}
	return out, nil
}

// tri is a rule's match on partial facts.
type tri int

const (
	no tri = iota
	maybe
	yes
)

func (r *netRule) match(f NetFacts) tri {
	if !slices.ContainsFunc(r.prefixes, func(p netip.Prefix) bool { return p.Contains(f.Client) }) {
		return no
	}
	if len(r.protocols) > 0 && !slices.Contains(r.protocols, f.Protocol) {
		return no
	}
	m := yes
	if len(r.users) > 0 {
		switch {
		case f.User == "" && !f.Final:
			m = maybe
		case !slices.ContainsFunc(r.users, func(u string) bool { return f.User != "" && strings.EqualFold(u, f.User) }):
			return no
		}
	}
	if len(r.roles) > 0 {
		switch {
		case !f.RolesKnown && !f.Final:
			m = maybe
		case !slices.ContainsFunc(r.roles, func(ro string) bool { return slices.Contains(f.Roles, ro) }):
			return no
		}
	}
	if len(r.databases) > 0 {
		switch {
		case f.Database == "" && !f.Final:
			m = maybe
		case !slices.Contains(r.databases, f.Database):
			return no
		}
	}
	return m
}

// decide applies the rules to f: decided reports whether f says enough
// (every rule that might still match before the deciding one has the
// same action), allow the outcome and by the rule (or the default) that
// gave it.
func (n *netRules) decide(f NetFacts) (decided, allow bool, by string) {
	if !f.Client.IsValid() {
		return true, false, "network.client" // no address, nothing to match: refused
	}
	f.Client = f.Client.Unmap().WithZone("")
	var pending [2]bool // actions of rules that might match: [deny, allow]
	for i := range n.rules {
		r := &n.rules[i]
		switch r.match(f) {
		case yes:
			if pending[b2i(!r.allow)] {
				return false, false, ""
			}
			return true, r.allow, r.key
		case maybe:
			pending[b2i(r.allow)] = true
		}
	}
	if pending[b2i(!n.allow)] {
		return false, false, ""
	}
	return true, n.allow, "network.default"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NetworkOn reports whether network rules are configured.
func (p *Policy) NetworkOn() bool { return p != nil && p.network.on }

// ScreenNetwork applies the network rules to what is known of a client
// at stage. A refusal is counted, logged, audited (event "network") and
// returned; nil means allowed, or not decidable yet (a later stage
// decides).
func (p *Policy) ScreenNetwork(stage string, f NetFacts) *Denial {
	if !p.NetworkOn() {
		return nil
	}
	decided, allow, by := p.network.decide(f)
	if !decided || allow {
		return nil
	}
	den := netDenial(f)
	host := ""
	if f.Client.IsValid() {
		host = f.Client.Unmap().WithZone("").String()
	}
	if m := p.opts.Metrics; m != nil {
		m.NetworkRefusals.WithLabelValues(f.Protocol, stage).Inc()
	}
	p.opts.Log.Info("network rules refused a client", "client", host, "protocol", f.Protocol, "stage", stage,
		"user", f.User, "database", f.Database, "rule", by)
	fields := map[string]any{"protocol": f.Protocol, "client": host, "stage": stage, "decision": "denied", "rule": by}
	if f.User != "" {
		fields["user"] = f.User
	}
	if f.Database != "" {
		fields["database"] = f.Database
	}
	p.Audit(audit.Event{Type: "network", Fields: fields})
	if p.opts.Denials != nil {
		p.opts.Denials.Add(observe.Denial{Time: time.Now(), User: f.User, Database: f.Database, Client: host,
			Protocol: f.Protocol, Rule: RuleNetwork, SQLState: den.Code, Errno: den.Errno, Message: den.Message})
	}
	return den
}

// netDenial is the refusal a client is sent: PostgreSQL's 28000, MySQL's
// 1130 (ER_HOST_NOT_ALLOWED), HTTP 403, gRPC PermissionDenied. It names
// the client's own address and names, never the rule.
func netDenial(f NetFacts) *Denial {
	host := "unknown"
	if f.Client.IsValid() {
		host = f.Client.Unmap().WithZone("").String()
	}
	msg := fmt.Sprintf("network rules refuse connections from host %q", host)
	if f.User != "" {
		msg += fmt.Sprintf(" for user %q", f.User)
	}
	if f.Database != "" {
		msg += fmt.Sprintf(" to database %q", f.Database)
	}
	return &Denial{Rule: RuleNetwork, Code: sqlerr.InvalidAuthorizationSpecification, Errno: sqlerr.ErHostNotAllowed, Message: msg}
}

// AddrOf is the IP address of a client (the TCP peer), IPv4-mapped IPv6
// addresses as IPv4, without a zone; invalid when a has none.
func AddrOf(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch t := a.(type) {
	case nil:
		return netip.Addr{}
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(t.IP)
	default:
		ip, _ = netip.ParseAddr(HostOf(a))
	}
	return ip.Unmap().WithZone("")
}

// statementFacts are the facts of a statement's request.
func statementFacts(req Request) NetFacts {
	ip, _ := netip.ParseAddr(req.Client)
	return NetFacts{Client: ip, Protocol: req.Protocol, User: req.User, Roles: req.Roles, RolesKnown: true,
		Database: req.Database, Final: true}
}
